import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import { SfnTaskCallbacks } from '../approvals/sfn.ts';
import type { OnboardingConfig } from '../config.ts';
import { DynamoOffboardingStore } from '../offboarding/ledger.ts';
import type { OffboardingRequest } from '../offboarding/request.ts';
import { requestRestore } from '../offboarding/restore-request.ts';
import { createOffboardingRunner, type RunnerOptions, stackStepFunctions } from './onboarding.ts';
import type { ExecutionResult, RunningExecution, TimelineEvent } from './runner.ts';
import { openStack, type Stack, type StackTiming } from './stack.ts';

/** One offboarding on a local (or configured) stack: what `onboard offboard` and the tests call. */

export interface LocalOffboardingOptions extends RunnerOptions {
  config: OnboardingConfig;
  aws?: boolean;
  emulatorState?: string;
  env?: NodeJS.ProcessEnv;
  /** Use this open stack instead of opening (and closing) one. */
  stack?: Stack;
  authorize?: boolean;
  timing?: StackTiming;
  faults?: FaultSpec[];
  onEvent?: (event: TimelineEvent) => void;
}

/**
 * Starts an offboarding through the stack's Step Functions API (idempotent by request id, described
 * and listed there like any execution) with a runner built from `options` (test faults and hooks).
 */
export async function startLocalOffboarding(
  stack: Stack,
  request: OffboardingRequest,
  options: RunnerOptions & { onEvent?: (event: TimelineEvent) => void } = {},
): Promise<RunningExecution> {
  const { onEvent, ...runnerOptions } = options;
  const [sfn, runner] = await Promise.all([
    stackStepFunctions(stack),
    createOffboardingRunner(stack, runnerOptions),
  ]);
  const { executionArn } = sfn.startExecution(
    { stateMachineArn: runner.stateMachineArn, name: request.requestId, input: JSON.stringify(request) },
    { runner, ...(onEvent ? { onEvent } : {}) },
  );
  return {
    executionArn,
    result: sfn.waitFor(executionArn),
    abort: () => sfn.stopExecution({ executionArn }),
  };
}

export async function runLocalOffboarding(
  request: OffboardingRequest,
  options: LocalOffboardingOptions,
): Promise<{ result: ExecutionResult; stack: Stack }> {
  const {
    config,
    aws,
    emulatorState,
    env,
    stack: given,
    authorize,
    timing,
    faults,
    onEvent,
    ...runner
  } = options;
  const stack =
    given ??
    (await openStack({
      config,
      ...(aws ? { aws: true } : {}),
      ...(emulatorState ? { emulatorState } : {}),
      ...(env ? { env } : {}),
      ...(timing ? { timing } : {}),
      ...(authorize === false ? { authorize: false } : {}),
    }));
  try {
    if (faults?.length) await stack.addFaults(faults);
    const running = await startLocalOffboarding(stack, request, {
      ...runner,
      ...(onEvent ? { onEvent } : {}),
    });
    return { result: await running.result, stack };
  } finally {
    if (!given) await stack.close();
  }
}

/** A restore request on this stack, as `principal` (the HTTP API's, or the CLI's) sends it. */
export function restoreOnStack(stack: Stack, principal: string, requestId: string, requestedBy: string) {
  const clients = stack.clients(principal);
  return requestRestore(
    { requestId, requestedBy },
    {
      offboardings: new DynamoOffboardingStore(clients.dynamodb, stack.ledgerTable.tableName),
      callbacks: new SfnTaskCallbacks(clients.sfn),
    },
  );
}
