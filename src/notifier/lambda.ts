import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { ApiSecrets, SdkSecretReader, secretIdsFrom } from '../api/credentials.ts';
import { isAwsError } from '../aws/errors.ts';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import {
  callbackPolicyOf,
  type OnboardingConfig,
  runtimeConfigFromEnv,
  stateMachineArnFromEnv,
} from '../config.ts';
import { logger } from '../lambda/shared.ts';
import { DynamoLedger, LEDGER_CALLS } from '../ledger/dynamodb.ts';
import { ledgerTableFromEnv, type RequestLedger, recordEnd } from '../ledger/items.ts';
import { OFFBOARDING_STATE_MACHINE_ARN_ENV, offboardingStateMachineArnFromEnv } from '../offboarding/deps.ts';
import { call, type DeclaredCall } from '../steps/calls.ts';
import type { Resolver } from './callback-policy.ts';
import { type ExecutionStatusChange, isOffboarding, type NotifyOutcome, notifyCompletion } from './notify.ts';

/** EventBridge (the state machine's status-change event) -> the completion callback. */

/**
 * The AWS calls this function makes: it reads the execution the event names (an event can be forged
 * by anyone who may invoke the function) and its signing secret, and records the end in the ledger
 * (a conditional write, and a read to explain a refused one), nothing else.
 */
export const NOTIFIER_CALLS: readonly DeclaredCall[] = [
  call('states:DescribeExecution'),
  call('secretsmanager:GetSecretValue'),
  call(LEDGER_CALLS.end),
  call(LEDGER_CALLS.read),
];

/** What Step Functions says of an execution: the notifier believes this, not the event. */
export interface DescribedExecution {
  stateMachineArn: string;
  name: string;
  status: string;
  input?: string | null;
  output?: string | null;
  error?: string | null;
  cause?: string | null;
  startDate?: number | null;
  stopDate?: number | null;
}

/** The callback could not be delivered yet: thrown so that Lambda's asynchronous retries try again. */
export class CallbackDeliveryError extends Error {
  override readonly name = 'CallbackDeliveryError' as const;
}

interface Built {
  config: Pick<OnboardingConfig, 'api'>;
  /** The deployment stage: picks the callback hosts (`api.callbackAllowedHosts.<stage>`). */
  stage: string;
  callbackSecret: () => Promise<string>;
  /** This stack's state machine: events for any other are refused. */
  stateMachineArn: string;
  /** And its offboarding state machine, where the stack has one: its ends are told to the ticket too. */
  offboardingStateMachineArn?: string;
  /** undefined when there is no such execution. */
  describe: (executionArn: string) => Promise<DescribedExecution | undefined>;
  /** Where the end is recorded, before the ticket is told. */
  ledger: Pick<RequestLedger, 'recordEnded'>;
}

export function notifierDepsFromEnv(env: NodeJS.ProcessEnv): Built {
  const config = runtimeConfigFromEnv(env);
  const secrets = new ApiSecrets(
    new SdkSecretReader(new SecretsManagerClient(lambdaClientConfig())),
    secretIdsFrom(config, env),
    { ttlMs: config.api.secretCacheSeconds * 1000 },
  );
  const sfn = new SFNClient(lambdaClientConfig(env));
  const ledger = new DynamoLedger(new DynamoDBClient(lambdaClientConfig(env)), ledgerTableFromEnv(env));
  return {
    config,
    ledger,
    stage: config.stage,
    callbackSecret: secrets.callbackSecret,
    stateMachineArn: stateMachineArnFromEnv(env),
    ...(env[OFFBOARDING_STATE_MACHINE_ARN_ENV]
      ? { offboardingStateMachineArn: offboardingStateMachineArnFromEnv(env) }
      : {}),
    describe: async (executionArn) => {
      try {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return {
          stateMachineArn: out.stateMachineArn ?? '',
          name: out.name ?? '',
          status: out.status ?? '',
          input: out.input ?? null,
          output: out.output ?? null,
          error: out.error ?? null,
          cause: out.cause ?? null,
          startDate: out.startDate ? out.startDate.getTime() : null,
          stopDate: out.stopDate ? out.stopDate.getTime() : null,
        };
      } catch (error) {
        if (isAwsError(error, 'ExecutionDoesNotExist')) return undefined;
        throw error;
      }
    },
  };
}

/**
 * The event as Step Functions itself describes the execution, or why it is refused: not this stack's
 * state machine, no such execution, or a status the execution does not have.
 */
async function verified(
  event: StatusChangeEvent | ExecutionStatusChange,
  built: Built,
): Promise<ExecutionStatusChange | { refused: string }> {
  const detail = event.detail;
  const arn = detail?.executionArn;
  const machines = [
    built.stateMachineArn,
    ...(built.offboardingStateMachineArn ? [built.offboardingStateMachineArn] : []),
  ];
  const machine = machines.find(
    (m) => typeof arn === 'string' && arn.startsWith(`${m.replace(':stateMachine:', ':execution:')}:`),
  );
  if (typeof arn !== 'string' || !machine) {
    return { refused: `event for ${String(arn)}, not an execution of ${machines.join(' or ')}` };
  }
  const described = await built.describe(arn);
  if (!described) return { refused: `there is no execution ${arn}` };
  if (described.stateMachineArn !== machine) {
    return { refused: `${arn} belongs to ${described.stateMachineArn}` };
  }
  if (described.status === 'RUNNING' || described.status !== detail.status) {
    return { refused: `the event says ${detail.status}, the execution is ${described.status}` };
  }
  // Every field that reaches the ticket comes from the description, none from the event.
  return {
    ...event,
    detail: {
      executionArn: arn,
      name: described.name,
      status: described.status,
      startDate: described.startDate ?? null,
      stopDate: described.stopDate ?? null,
      input: described.input ?? null,
      inputDetails: { included: true },
      output: described.output ?? null,
      error: described.error ?? null,
      cause: described.cause ?? null,
    },
  };
}

/** The state machine's status-change event as EventBridge delivers it to the function. */
export type StatusChangeEvent = EventBridgeEvent<
  'Step Functions Execution Status Change',
  ExecutionStatusChange['detail']
>;

export function makeNotifyHandler(
  build: () => Built = () => notifierDepsFromEnv(process.env),
  options: { fetch?: typeof fetch; resolve?: Resolver; sleep?: (ms: number) => Promise<void> } = {},
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
    const change = await verified(event, built);
    if ('refused' in change) {
      log.warn('status-change event refused', { reason: change.refused });
      return { outcome: 'refused', reason: change.refused };
    }
    // The ledger first: a write that fails throws, and Lambda's retry records it (the callback's
    // delivery id lets the ticket drop a duplicate). A replay is refused by the ledger, not an error.
    // An offboarding records its own phases in the ledger (sk = OFFBOARDING): only the ticket is told.
    if (!isOffboarding(change)) {
      const recorded = await recordEnd(built.ledger, change.detail);
      log.info('ledger', { execution: change.detail.name, ...recorded });
    }
    // Leave the last seconds of the invocation for the log line and a clean return.
    const remaining = context?.getRemainingTimeInMillis?.() ?? 60_000;
    const outcome = await notifyCompletion(change, {
      ...callbackPolicyOf(built.config, built.stage),
      callbackSecret: built.callbackSecret,
      maxAttempts: api.callbackMaxAttempts,
      timeoutMs: api.callbackTimeoutSeconds * 1000,
      deadlineMs: Math.max(0, remaining - 5_000),
      ...options,
    });
    const requestId = change.detail.name;
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
