import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { ApiSecrets, SdkSecretReader, secretIdsFrom } from '../api/credentials.ts';
import { clientConfig } from '../aws/clients.ts';
import { type OnboardingConfig, runtimeConfigFromEnv } from '../config.ts';
import { logger } from '../lambda/shared.ts';
import { call, type DeclaredCall } from '../steps/calls.ts';
import { type ExecutionStatusChange, type NotifyOutcome, notifyCompletion } from './notify.ts';

/** EventBridge (the state machine's status-change event) -> the completion callback. */

/** The AWS calls this function makes: it reads its signing secret, nothing else. */
export const NOTIFIER_CALLS: readonly DeclaredCall[] = [call('secretsmanager:GetSecretValue')];

/** The callback could not be delivered yet: thrown so that Lambda's asynchronous retries try again. */
export class CallbackDeliveryError extends Error {
  override readonly name = 'CallbackDeliveryError' as const;
}

interface Built {
  config: Pick<OnboardingConfig, 'api'>;
  callbackSecret: () => Promise<string>;
}

export function notifierDepsFromEnv(env: NodeJS.ProcessEnv): Built {
  const config = runtimeConfigFromEnv(env);
  const secrets = new ApiSecrets(
    new SdkSecretReader(new SecretsManagerClient(clientConfig())),
    secretIdsFrom(config, env),
    { ttlMs: config.api.secretCacheSeconds * 1000 },
  );
  return { config, callbackSecret: secrets.callbackSecret };
}

/** The state machine's status-change event as EventBridge delivers it to the function. */
export type StatusChangeEvent = EventBridgeEvent<
  'Step Functions Execution Status Change',
  ExecutionStatusChange['detail']
>;

export function makeNotifyHandler(
  build: () => Built = () => notifierDepsFromEnv(process.env),
  options: { fetch?: typeof fetch; sleep?: (ms: number) => Promise<void> } = {},
) {
  let built: Built | undefined;
  return async (
    event: StatusChangeEvent | ExecutionStatusChange,
    context?: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Context>,
  ): Promise<NotifyOutcome> => {
    const log = logger.createChild({ persistentKeys: { task: 'NotifyCompletion' } });
    if (context?.awsRequestId) log.addContext(context as Context);
    built ??= build();
    const { api } = built.config;
    // Leave the last seconds of the invocation for the log line and a clean return.
    const remaining = context?.getRemainingTimeInMillis?.() ?? 60_000;
    const outcome = await notifyCompletion(event, {
      allowedHosts: api.callbackAllowedHosts,
      allowLoopback: false,
      callbackSecret: built.callbackSecret,
      maxAttempts: api.callbackMaxAttempts,
      timeoutMs: api.callbackTimeoutSeconds * 1000,
      deadlineMs: Math.max(0, remaining - 5_000),
      ...options,
    });
    const requestId = event.detail?.name;
    if (outcome.outcome === 'failed' && outcome.retryable) {
      log.warn('completion callback not delivered; Lambda will retry', { requestId, ...outcome });
      throw new CallbackDeliveryError(
        `completion callback for ${requestId} not delivered: ${outcome.reason}`,
      );
    }
    log.info('completion callback', { requestId, ...outcome });
    return outcome;
  };
}
