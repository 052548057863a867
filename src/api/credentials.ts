import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import type { OnboardingConfig } from '../config.ts';
import type { Credentials } from './auth.ts';

/**
 * The API's secrets come from Secrets Manager, never from code: the webhook HMAC secret and the
 * bearer token (to check callers) and the callback secret (to sign completion callbacks). A container
 * keeps them for `api.secretCacheSeconds`, so a rotation is seen within that time.
 */

/** Names or ARNs; the environment may point elsewhere than the configuration's names. */
export interface SecretIds {
  webhookSecret: string;
  apiToken: string;
  callbackSecret: string;
}

export const SECRET_ID_ENV = {
  webhookSecret: 'ONBOARDING_WEBHOOK_SECRET_ID',
  apiToken: 'ONBOARDING_API_TOKEN_SECRET_ID',
  callbackSecret: 'ONBOARDING_CALLBACK_SECRET_ID',
} as const;

export function secretIdsFrom(config: Pick<OnboardingConfig, 'api'>, env: NodeJS.ProcessEnv): SecretIds {
  return {
    webhookSecret: env[SECRET_ID_ENV.webhookSecret] || config.api.webhookSecretName,
    apiToken: env[SECRET_ID_ENV.apiToken] || config.api.apiTokenSecretName,
    callbackSecret: env[SECRET_ID_ENV.callbackSecret] || config.api.callbackSecretName,
  };
}

export interface SecretReader {
  /** The current value, or undefined if there is no such secret. */
  readSecret(id: string): Promise<string | undefined>;
}

export class SdkSecretReader implements SecretReader {
  constructor(private readonly client: SecretsManagerClient) {}

  async readSecret(id: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw toDomainError(error, `GetSecretValue ${id}`);
    }
  }
}

/** The callback signing secret is missing: nothing can be signed, so nothing is sent. */
export class MissingSecretError extends Error {
  override readonly name = 'MissingSecret' as const;
}

export interface ApiSecretsOptions {
  ttlMs: number;
  now?: () => number;
}

/** One read per secret per TTL, shared by concurrent callers; a failed read is not cached. */
function cached<T>(load: () => Promise<T>, options: ApiSecretsOptions): () => Promise<T> {
  let entry: { at: number; value: Promise<T> } | undefined;
  const now = options.now ?? Date.now;
  return () => {
    if (entry && now() - entry.at < options.ttlMs) return entry.value;
    const value = load();
    const current = { at: now(), value };
    entry = current;
    value.catch(() => {
      if (entry === current) entry = undefined;
    });
    return value;
  };
}

export class ApiSecrets {
  /** What callers are checked against: a secret that does not exist leaves that way closed. */
  readonly credentials: () => Promise<Credentials>;
  readonly callbackSecret: () => Promise<string>;

  constructor(reader: SecretReader, ids: SecretIds, options: ApiSecretsOptions) {
    this.credentials = cached(async () => {
      const [webhookSecret, apiToken] = await Promise.all([
        reader.readSecret(ids.webhookSecret),
        reader.readSecret(ids.apiToken),
      ]);
      return { ...(webhookSecret ? { webhookSecret } : {}), ...(apiToken ? { apiToken } : {}) };
    }, options);
    this.callbackSecret = cached(async () => {
      const value = await reader.readSecret(ids.callbackSecret);
      if (!value)
        throw new MissingSecretError(`the callback signing secret ${ids.callbackSecret} does not exist`);
      return value;
    }, options);
  }
}
