import { describe, expect, it } from 'vitest';
import config from '../../../config/onboarding.json' with { type: 'json' };
import { configEnv, parseOnboardingConfig } from '../../../src/config.ts';
import { SdkSecretStore } from '../../../src/gateways/secrets.ts';
import { depsFromEnv } from '../../../src/lambda/deps.ts';
import { approvalTaskDepsFromEnv, depsWithApprovalsFromEnv } from '../../../src/lambda/ledger-deps.ts';
import { secretStoreFromEnv } from '../../../src/lambda/secrets-deps.ts';

/**
 * Each Lambda builds the clients its function declares (test/deploy/bundles.test.ts checks the bundles):
 * a task whose step makes no Secrets Manager call gets a store that refuses, naming why.
 */
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:iam-onboarding-local';
const env = {
  ...configEnv(parseOnboardingConfig(config, 'config'), '000000000000', STATE_MACHINE),
  AWS_REGION: 'us-east-1',
};

describe("a Lambda's dependencies", () => {
  it('give a task without Secrets Manager calls a store that refuses every call, naming why', async () => {
    // Prepare
    const store = depsFromEnv(env).secrets;
    // Act, Assess
    for (const call of [
      store.describeSecret('x'),
      store.createSecret({ name: 'x', value: 'v', description: 'd', tags: {} }),
      store.putResourcePolicy('x', '{}'),
      store.deleteSecret('x'),
    ]) {
      await expect(call).rejects.toMatchObject({
        name: 'InvalidConfiguration',
        message: expect.stringContaining('declares no Secrets Manager call'),
      });
    }
  });

  it('give the tasks that declare Secrets Manager calls the SDK store', () => {
    expect(depsFromEnv(env, secretStoreFromEnv).secrets).toBeInstanceOf(SdkSecretStore);
    expect(depsWithApprovalsFromEnv(env, secretStoreFromEnv).secrets).toBeInstanceOf(SdkSecretStore);
  });

  it('give AwaitApproval its execution check and configuration, and no IAM gateway', () => {
    const deps = approvalTaskDepsFromEnv(env);
    expect(Object.keys(deps).sort()).toEqual(['config', 'executions']);
  });
});
