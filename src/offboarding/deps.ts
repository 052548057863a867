import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { containPolicyArn, runtimeConfigFromEnv, stateMachineArnFromEnv } from '../config.ts';
import { InvalidConfigurationError } from '../errors.ts';
import { SdkExecutionVerifier } from '../gateways/executions.ts';
import { SdkLeaverGateway } from '../gateways/leaver.ts';
import { SdkSecretStore } from '../gateways/secrets.ts';
import { once, sleep } from '../lambda/shared.ts';
import { LEDGER_TABLE_ENV, ledgerTableFromEnv } from '../ledger/items.ts';
import type { OffboardingTaskDeps } from './handlers.ts';
import { DynamoOffboardingStore } from './ledger.ts';

/** The offboarding state machine's ARN (its tasks verify their events against its executions). */
export const OFFBOARDING_STATE_MACHINE_ARN_ENV = 'ONBOARDING_OFFBOARDING_STATE_MACHINE_ARN';

export function offboardingStateMachineArnFromEnv(env: NodeJS.ProcessEnv): string {
  const arn = env[OFFBOARDING_STATE_MACHINE_ARN_ENV];
  if (!arn) {
    throw new InvalidConfigurationError(
      `${OFFBOARDING_STATE_MACHINE_ARN_ENV} is not set (this stack's offboarding state machine ARN)`,
    );
  }
  if (!/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]{1,68}-offboarding$/.test(arn)) {
    throw new InvalidConfigurationError(
      `${OFFBOARDING_STATE_MACHINE_ARN_ENV} is not an offboarding state machine ARN (arn:...:stateMachine:<name>-offboarding): ${arn}`,
    );
  }
  return arn;
}

/**
 * An offboarding task's dependencies as Lambda builds them: the configuration and both state machines'
 * ARNs from the environment (the onboarding's decides which users are ours, the offboarding's which
 * executions may invoke), SDK clients whose endpoints come from the environment too.
 */
export function offboardingDepsFromEnv(env: NodeJS.ProcessEnv): OffboardingTaskDeps {
  const config = runtimeConfigFromEnv(env);
  return {
    leaver: new SdkLeaverGateway(new IAMClient(lambdaClientConfig(env))),
    secrets: new SdkSecretStore(new SecretsManagerClient(lambdaClientConfig(env))),
    executions: new SdkExecutionVerifier(
      new SFNClient(lambdaClientConfig(env)),
      offboardingStateMachineArnFromEnv(env),
    ),
    onboardingStateMachineArn: stateMachineArnFromEnv(env),
    containPolicyArn: containPolicyArn(config, config.iamArnPrefix),
    userPath: config.userPath,
    config,
    sleep,
    ...(env[LEDGER_TABLE_ENV]
      ? {
          offboardings: new DynamoOffboardingStore(
            new DynamoDBClient(lambdaClientConfig(env)),
            ledgerTableFromEnv(env),
          ),
        }
      : {}),
  };
}

/** Built on the first invocation and kept for the container's life. */
export const lambdaOffboardingDeps = once(() => offboardingDepsFromEnv(process.env));
