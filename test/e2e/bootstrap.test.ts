import { CreatePolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Emulator, startEmulator } from '@iam-onboarding/aws-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import { bootstrapAccount } from '../../src/bootstrap.ts';
import { parseOnboardingConfig } from '../../src/config.ts';
import { resolveBoundaries, resolveContain, resolveSelfService } from '../../src/deploy/roles.ts';
import { SdkAccountSetup } from '../../src/gateways/account-setup.ts';
import { cleanEnv, EXAMPLE, onboard } from './cli-helpers.ts';

/**
 * `onboard bootstrap` against a fresh `onboard emulator` account (the same emulator, in-process here):
 * without it an onboarding fails at Plan saying to run it; after it the example onboards; run again,
 * it writes nothing.
 */

const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
const WRITES = /^(Create|Update|Put|Delete|Attach|Detach|Tag)/;
let emulator: Emulator | undefined;

afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

const envOf = (e: Emulator) =>
  cleanEnv({
    AWS_ENDPOINT_URL_IAM: e.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: e.endpoint,
    AWS_ENDPOINT_URL_STS: e.endpoint,
    AWS_REGION: e.region,
  });

const writesOf = (e: Emulator) =>
  e
    .calls()
    .filter((c) => WRITES.test(c.action))
    .reduce((n, c) => n + c.ok, 0);

describe('onboard bootstrap', () => {
  it('prepares a fresh emulator account so that the example onboards, and changes nothing when run again', async () => {
    // Prepare
    emulator = await startEmulator({ port: 0 });
    const env = envOf(emulator);

    // Act
    const before = await onboard(['run', EXAMPLE], env);
    const first = await onboard(['bootstrap'], env);
    const run = await onboard(['run', EXAMPLE], env);
    emulator.clearCalls();
    const again = await onboard(['bootstrap', '--json'], env);

    // Assess
    expect(before.code).toBe(4);
    expect(before.stdout).toContain('run `onboard bootstrap`');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /created\s+boundary\s+arn:aws:iam::000000000000:policy\/iam-onboarding\/iam-onboarding-team-member/,
    );
    expect(first.stdout).toMatch(
      /created\s+self-service policy\s+arn:aws:iam::000000000000:policy\/iam-onboarding\/iam-onboarding-self-service/,
    );
    expect(first.stdout).toMatch(
      /created\s+secret\s+iam-onboarding\/api-token\s+\(aws secretsmanager get-secret-value --secret-id iam-onboarding\/api-token/,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ada.lovelace');
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as { lines: { action: string }[]; incomplete: boolean };
    expect(new Set(report.lines.map((l) => l.action))).toEqual(new Set(['unchanged', 'present']));
    expect(report.incomplete).toBe(false);
    expect(writesOf(emulator)).toBe(0);
    // The secrets' values are never printed: only where they are and how to read them.
    const values = Object.values(emulator.snapshot().secrets).map((s) => s.value);
    for (const value of values) expect(first.stdout).not.toContain(value);
  });

  it('updates a boundary that drifted from its file, and reports a missing managed policy as incomplete', async () => {
    // Prepare
    emulator = await startEmulator({ port: 0 });
    const clients = {
      region: emulator.region,
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'local-operator', secretAccessKey: 'local-operator' },
    };
    const iam = new IAMClient(clients);
    const secrets = new SecretsManagerClient(clients);
    const setup = new SdkAccountSetup(iam, secrets);
    const options = {
      iamArnPrefix: 'arn:aws:iam::000000000000:',
      boundaries: resolveBoundaries(config),
      selfService: resolveSelfService(config),
      contain: resolveContain(config),
      secrets: false,
    };
    await bootstrapAccount(setup, config, options);
    const drifted = 'arn:aws:iam::000000000000:policy/iam-onboarding/iam-onboarding-team-member';
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: drifted,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
        SetAsDefault: true,
      }),
    );
    const missing = 'arn:aws:iam::aws:policy/NoSuchManagedPolicy';
    const withMissing = parseOnboardingConfig(
      {
        ...rawConfig,
        profiles: {
          ...rawConfig.profiles,
          developers: { ...rawConfig.profiles.developers, userPolicyArns: [missing] },
        },
      },
      'test config',
    );

    // Act
    const report = await bootstrapAccount(setup, withMissing, options);
    iam.destroy();
    secrets.destroy();

    // Assess
    expect(report.lines.filter((l) => l.action === 'updated').map((l) => l.name)).toEqual([drifted]);
    expect(report.lines.find((l) => l.name === missing)).toMatchObject({ action: 'missing' });
    expect(report.incomplete).toBe(true);
    const evaluated = emulator.snapshot().policies['iam-onboarding-team-member'];
    expect(JSON.parse(evaluated?.document ?? '{}')).toEqual(resolveBoundaries(config)['team-member']);
  });

  it('refuses to guess a target: no endpoints and no --aws is a usage error naming both ways', async () => {
    // Act
    const { code, stderr } = await onboard(['bootstrap']);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('Start `onboard emulator`');
    expect(stderr).toContain('--aws');
  });
});
