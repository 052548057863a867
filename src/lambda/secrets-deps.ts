import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { SdkSecretStore, type SecretStore } from '../gateways/secrets.ts';
import { depsFromEnv } from './deps.ts';
import { once } from './shared.ts';

/** Secrets Manager for the tasks that declare its calls (Plan, CreateAccessKey): apart, so the others' bundles carry no client. */
export const secretStoreFromEnv = (env: NodeJS.ProcessEnv): SecretStore =>
  new SdkSecretStore(new SecretsManagerClient(lambdaClientConfig(env)));

/** CreateAccessKey's: a task's dependencies with Secrets Manager. Built on the first invocation, kept for the container's life. */
export const lambdaDepsWithSecrets = /* @__PURE__ */ once(() => depsFromEnv(process.env, secretStoreFromEnv));
