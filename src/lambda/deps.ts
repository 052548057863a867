import { IAMClient } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { runtimeConfigFromEnv, stateMachineArnFromEnv } from '../config.ts';
import { InvalidConfigurationError } from '../errors.ts';
import { SdkExecutionVerifier } from '../gateways/executions.ts';
import { SdkIamGateway } from '../gateways/iam.ts';
import type { SecretStore } from '../gateways/secrets.ts';
import type { TaskDeps } from '../steps/types.ts';
import { once, sleep } from './shared.ts';

/**
 * What a task has for Secrets Manager when its step declares no Secrets Manager call (nor does its role
 * grant one): no client, so that its bundle carries none. Plan and CreateAccessKey are given the real
 * store (src/lambda/secrets-deps.ts); test/deploy/bundles.test.ts checks each bundle carries the
 * clients of the services its function declares, and no other.
 */
export const noSecretStore = (): SecretStore => {
  const refuse = async (): Promise<never> => {
    throw new InvalidConfigurationError(
      'this task declares no Secrets Manager call, so its Lambda has no Secrets Manager client (src/lambda/secrets-deps.ts)',
    );
  };
  return { describeSecret: refuse, createSecret: refuse, putResourcePolicy: refuse, deleteSecret: refuse };
};

/**
 * A task's dependencies as Lambda builds them: the configuration parsed from the environment (errors
 * name the key) and SDK clients whose endpoints and region come from the environment too. The ledger's
 * approvals are Plan's and AwaitApproval's only (src/lambda/ledger-deps.ts), Secrets Manager Plan's and
 * CreateAccessKey's: the other tasks' bundles carry neither client.
 */
/** Step Functions, to prove an event is its execution's own: every task that touches the account. */
export const executionVerifierFromEnv = (env: NodeJS.ProcessEnv) =>
  new SdkExecutionVerifier(new SFNClient(lambdaClientConfig(env)), stateMachineArnFromEnv(env));

export function depsFromEnv(
  env: NodeJS.ProcessEnv,
  secrets: (env: NodeJS.ProcessEnv) => SecretStore = noSecretStore,
): TaskDeps {
  const config = runtimeConfigFromEnv(env);
  return {
    iam: new SdkIamGateway(new IAMClient(lambdaClientConfig(env))),
    secrets: secrets(env),
    executions: executionVerifierFromEnv(env),
    config,
    sleep,
  };
}

/** Built on the first invocation and kept for the container's life. */
export const lambdaDeps = /* @__PURE__ */ once(() => depsFromEnv(process.env));
