import { IAMClient } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig } from '../../src/config.ts';
import { validateRequest } from '../../src/request.ts';
import type { LambdaFault, TimelineEvent } from '../../src/runner/local-runner.ts';
import { openStack, type Stack } from '../../src/runner/local-stack.ts';
import { runLocalOnboarding } from '../../src/runner/onboarding.ts';

export const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');

/** A fresh embedded stack, whatever the test process's environment says. */
export function openTestStack(): Promise<Stack> {
  return openStack({ config, env: { AWS_REGION: 'us-east-1' } });
}

function clientConfig(stack: Stack, endpoint: string | undefined) {
  return {
    region: stack.region,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}

export function iamOf(stack: Stack): IAMClient {
  return new IAMClient(clientConfig(stack, stack.env.AWS_ENDPOINT_URL_IAM));
}

export function secretsOf(stack: Stack): SecretsManagerClient {
  return new SecretsManagerClient(clientConfig(stack, stack.env.AWS_ENDPOINT_URL_SECRETS_MANAGER));
}

export async function secretValue(stack: Stack, secretId: string): Promise<string> {
  const out = await secretsOf(stack).send(new GetSecretValueCommand({ SecretId: secretId }));
  return out.SecretString ?? '';
}

export interface OnboardOptions {
  faults?: FaultSpec[];
  lambdaFaults?: LambdaFault[];
  onEvent?: (event: TimelineEvent) => void;
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
