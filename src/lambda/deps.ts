import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { runtimeConfigFromEnv, stateMachineArnFromEnv } from '../config.ts';
import { SdkExecutionVerifier } from '../gateways/executions.ts';
import { SdkIamGateway } from '../gateways/iam.ts';
import { SdkSecretStore } from '../gateways/secrets.ts';
import type { TaskDeps } from '../steps/types.ts';
import { once, sleep } from './shared.ts';

/**
 * A task's dependencies as Lambda builds them: the configuration parsed from the environment (errors
 * name the key) and SDK clients whose endpoints and region come from the environment too. The ledger's
 * approvals are Plan's and AwaitApproval's only (src/lambda/ledger-deps.ts): the other tasks' bundles
 * carry no DynamoDB client.
 */
export function depsFromEnv(env: NodeJS.ProcessEnv): TaskDeps {
  const config = runtimeConfigFromEnv(env);
  return {
    iam: new SdkIamGateway(new IAMClient(lambdaClientConfig(env))),
    secrets: new SdkSecretStore(new SecretsManagerClient(lambdaClientConfig(env))),
    executions: new SdkExecutionVerifier(new SFNClient(lambdaClientConfig(env)), stateMachineArnFromEnv(env)),
    config,
    sleep,
  };
}

/** Built on the first invocation and kept for the container's life. */
export const lambdaDeps = once(() => depsFromEnv(process.env));
