import { fromEnv } from '@aws-sdk/credential-provider-env';
import { clientConfig } from './clients.ts';

/**
 * Clients in a deployed Lambda take their credentials from the environment: the runtime puts the
 * function role's session in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`,
 * where the SDK's default chain finds them first too. Only the Lambda entry points use this; the CLI
 * and the local stack keep `clientConfig` and the SDK's whole default chain (profiles, SSO, web
 * identity...). The bundles leave that chain out (src/aws/env-default-provider.ts).
 */
export function lambdaClientConfig(env: NodeJS.ProcessEnv = process.env) {
  return { ...clientConfig(env), credentials: fromEnv() };
}
