import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * AWS clients, built in one place. Endpoints come from the SDK's own standard variables
 * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_STS`,
 * `AWS_ENDPOINT_URL_SFN`) and the region from `AWS_REGION`, so the same code reaches AWS, LocalStack,
 * moto or the embedded emulator.
 */

export interface AwsClients {
  iam: IAMClient;
  secrets: SecretsManagerClient;
}

/**
 * The SDK's own retries are kept to one extra attempt: the state machine's Retry (with backoff and
 * jitter) is the one in control, and it shows in the execution history.
 */
export const SDK_MAX_ATTEMPTS = 2;

export function clientConfig(env: NodeJS.ProcessEnv = process.env) {
  return {
    maxAttempts: SDK_MAX_ATTEMPTS,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 },
  };
}

export function createAwsClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  return {
    iam: new IAMClient(clientConfig(env)),
    secrets: new SecretsManagerClient(clientConfig(env)),
  };
}
