import { SFNClient } from '@aws-sdk/client-sfn';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { containPolicyArn, runtimeConfigFromEnv, stateMachineArnFromEnv } from '../config.ts';
import { InvalidConfigurationError } from '../errors.ts';
import { SdkExecutionVerifier } from '../gateways/executions.ts';
import type { LeaverGateway } from '../gateways/leaver.ts';
import { noSecretStore } from '../lambda/deps.ts';
import { sleep } from '../lambda/shared.ts';
import type { OffboardingTaskDeps } from './handlers.ts';

/**
 * An offboarding task's dependencies as Lambda builds them. The core is the configuration and both
 * state machines' ARNs from the environment (the onboarding's decides which users are ours, the
 * offboarding's which executions may invoke) and Step Functions to verify the event. IAM, Secrets
 * Manager and the ledger are each added by the task that declares them (src/offboarding/lambda-deps.ts),
 * so that a bundle carries only its own clients (test/deploy/bundles.test.ts).
 */

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

/** What a task has for IAM when it declares no IAM call: no client, every call refused. */
export const noLeaver = (): LeaverGateway =>
  new Proxy({} as LeaverGateway, {
    get: () => async () => {
      throw new InvalidConfigurationError(
        'this offboarding task declares no IAM call, so its Lambda has no IAM client (src/offboarding/lambda-deps.ts)',
      );
    },
  });

export function offboardingDepsFromEnv(
  env: NodeJS.ProcessEnv,
  parts: Partial<Pick<OffboardingTaskDeps, 'leaver' | 'secrets' | 'offboardings'>> = {},
): OffboardingTaskDeps {
  const config = runtimeConfigFromEnv(env);
  return {
    leaver: parts.leaver ?? noLeaver(),
    secrets: parts.secrets ?? noSecretStore(),
    executions: new SdkExecutionVerifier(
      new SFNClient(lambdaClientConfig(env)),
      offboardingStateMachineArnFromEnv(env),
    ),
    onboardingStateMachineArn: stateMachineArnFromEnv(env),
    containPolicyArn: containPolicyArn(config, config.iamArnPrefix),
    userPath: config.userPath,
    config,
    sleep,
    ...(parts.offboardings ? { offboardings: parts.offboardings } : {}),
  };
}
