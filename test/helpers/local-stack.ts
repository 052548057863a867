import type { IAMClient } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig } from '../../src/config.ts';
import { runLocalOnboarding } from '../../src/local/onboarding.ts';
import type { LambdaFault, LocalRunnerOptions, TimelineEvent } from '../../src/local/runner.ts';
import { type OpenStackOptions, openStack, type Stack, type StackTiming } from '../../src/local/stack.ts';
import { validateRequest } from '../../src/request.ts';

export const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');

/** Tests wait 1 ms where the SDK would back off and where a step polls: same attempts, no sleeping. */
export const TEST_TIMING: StackTiming = { sdkRetryDelayMs: 1, pollDelayMs: 1 };

/** A fresh embedded stack, whatever the test process's environment says. */
export function openTestStack(options: Partial<OpenStackOptions> = {}): Promise<Stack> {
  return openStack({
    config,
    env: { AWS_REGION: 'us-east-1' },
    timing: TEST_TIMING,
    operators: ['test'],
    ...options,
  });
}

/** The test's own clients: they sign as "test", apart from every function. */
export function iamOf(stack: Stack): IAMClient {
  return stack.clients('test').iam;
}

export function secretsOf(stack: Stack): SecretsManagerClient {
  return stack.clients('test').secrets;
}

export async function secretValue(stack: Stack, secretId: string): Promise<string> {
  const out = await secretsOf(stack).send(new GetSecretValueCommand({ SecretId: secretId }));
  return out.SecretString ?? '';
}

export interface OnboardOptions {
  faults?: FaultSpec[];
  lambdaFaults?: LambdaFault[];
  onEvent?: (event: TimelineEvent) => void;
  beforeTask?: LocalRunnerOptions['beforeTask'];
  retrierOverride?: LocalRunnerOptions['retrierOverride'];
}

export async function onboard(stack: Stack, request: Record<string, unknown>, options: OnboardOptions = {}) {
  const { result } = await runLocalOnboarding(validateRequest(request, config), {
    config,
    stack,
    retryDelayMs: 1,
    ...options,
  });
  return result;
}

export function retriesOf(events: TimelineEvent[], state: string): number {
  return events.filter((e) => e.type === 'StateRetried' && e.state === state).length;
}
