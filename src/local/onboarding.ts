import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import {
  APPROVAL_STATE,
  type ApprovalRecord,
  type Decision,
  type DecisionOutcome,
  decideApproval,
} from '../approvals/approvals.ts';
import { DynamoApprovalStore } from '../approvals/dynamodb.ts';
import { SfnTaskCallbacks } from '../approvals/sfn.ts';
import type { OnboardingConfig } from '../config.ts';
import { loadAsl, loadServerlessFunctions, OFFBOARDING_ASL_PATH } from '../definition.ts';
import { accessOf, type RequestedBy } from '../ledger/items.ts';
import type { OnboardingRequest } from '../request.ts';
import {
  type ExecutionResult,
  type LambdaFault,
  LocalRunner,
  type LocalRunnerOptions,
  type RunningExecution,
  type StartOptions,
  type TimelineEvent,
} from './runner.ts';
import {
  LOCAL_OFFBOARDING_STATE_MACHINE,
  LOCAL_STATE_MACHINE,
  openStack,
  type Stack,
  type StackTiming,
} from './stack.ts';
import { LocalStepFunctions } from './step-functions.ts';

/** One onboarding on a local (or configured) stack: what `onboard run`, the tests and the benchmark call. */

export interface LocalOnboardingOptions {
  config: OnboardingConfig;
  aws?: boolean;
  emulatorState?: string;
  faults?: FaultSpec[];
  lambdaFaults?: LambdaFault[];
  retryDelayMs?: number;
  onEvent?: (event: TimelineEvent) => void;
  /** The environment that decides the stack (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Use this open stack instead of opening (and closing) one. */
  stack?: Stack;
  /** Evaluate the roles' and users' policies on the embedded stack (default: on). */
  authorize?: boolean;
  onStack?: (stack: Stack) => void;
  timing?: StackTiming;
  /** Who the ledger says asked (default: the CLI, `onboard run`). */
  requestedBy?: RequestedBy;
  beforeTask?: LocalRunnerOptions['beforeTask'];
  retrierOverride?: LocalRunnerOptions['retrierOverride'];
  /**
   * The decision on a privileged request, given with the run (the embedded stack ends with it): once
   * the execution waits in AwaitApproval, `decideApproval` takes it as the HTTP API would, with the
   * API's principal, so every rule of the gate (approvers, no self-approval) applies.
   */
  approval?: RunApproval;
}

export interface RunApproval {
  approver: string;
  decision: Decision;
  reason?: string;
  /** The execution waits: who may approve, until when. */
  onPending?: (record: ApprovalRecord) => void;
  onDecided?: (outcome: DecisionOutcome) => void;
}

export type RunnerOptions = Omit<LocalRunnerOptions, 'depsFor' | 'region' | 'accountId' | 'stateMachineName'>;

/** A runner of the local state machine whose every Task runs its handler with this stack's clients. */
function createRunner(stack: Stack, options: RunnerOptions): Promise<LocalRunner> {
  return LocalRunner.create({
    ...options,
    depsFor: (functionKey) => stack.taskDeps(functionKey),
    region: stack.region,
    accountId: stack.accountId,
    stateMachineName: LOCAL_STATE_MACHINE,
  });
}

/** A runner of the local offboarding state machine (statemachine/offboarding.asl.yaml), likewise. */
export async function createOffboardingRunner(stack: Stack, options: RunnerOptions): Promise<LocalRunner> {
  const [definition, functions] = await Promise.all([
    loadAsl(OFFBOARDING_ASL_PATH),
    loadServerlessFunctions(),
  ]);
  return LocalRunner.create({
    ...options,
    depsFor: (functionKey) => stack.offboardingDeps(functionKey),
    region: stack.region,
    accountId: stack.accountId,
    stateMachineName: LOCAL_OFFBOARDING_STATE_MACHINE,
    machine: { definition, functions },
  });
}

const hosted = new WeakMap<Stack, Promise<LocalStepFunctions>>();

/**
 * The stack's local Step Functions API, created once and served on `stack.sfnEndpoint`: every local
 * execution is one of its executions, as on AWS, so the tasks can check their events against it.
 * `defaults` are the runner options of executions started through the API itself (`onboard serve`).
 */
export function stackStepFunctions(stack: Stack, defaults: RunnerOptions = {}): Promise<LocalStepFunctions> {
  let found = hosted.get(stack);
  if (!found) {
    found = Promise.all([createRunner(stack, defaults), createOffboardingRunner(stack, defaults)]).then(
      ([runner, offboarding]) => {
        // Every onboarding's end is recorded in the ledger, as the deployed notifier records it from the
        // status-change event (the local Step Functions is its own trustworthy source). An offboarding
        // records its phases itself (sk = OFFBOARDING).
        const sfn = new LocalStepFunctions(runner, (change) => {
          if (change.detail.status !== 'RUNNING' && change.detail.stateMachineArn === runner.stateMachineArn)
            stack.recordEnd(change.detail);
        });
        sfn.addMachine(offboarding);
        stack.hostStepFunctions(sfn.asJsonService());
        return sfn;
      },
    );
    hosted.set(stack, found);
  }
  return found;
}

/** What starting an execution needs: the local runner's own interface, through the Step Functions API. */
export interface StackRunner {
  readonly stateMachineArn: string;
  executionArn(name: string): string;
  start(input: unknown, options: StartOptions): RunningExecution;
  run(input: unknown, options: StartOptions): Promise<ExecutionResult>;
}

/**
 * Runs executions of the stack's state machine, started through its Step Functions API (idempotent by
 * name, described and listed there), each with a runner built from `options` (test faults and hooks).
 */
export async function stackRunner(stack: Stack, options: RunnerOptions = {}): Promise<StackRunner> {
  const [sfn, runner] = await Promise.all([stackStepFunctions(stack), createRunner(stack, options)]);
  const start = (input: unknown, { name, onEvent }: StartOptions): RunningExecution => {
    const { executionArn } = sfn.startExecution(
      { stateMachineArn: runner.stateMachineArn, name, input: JSON.stringify(input) },
      { runner, ...(onEvent ? { onEvent } : {}) },
    );
    return {
      executionArn,
      result: sfn.waitFor(executionArn),
      abort: () => sfn.stopExecution({ executionArn }),
    };
  };
  return {
    stateMachineArn: runner.stateMachineArn,
    executionArn: (name) => runner.executionArn(name),
    start,
    run: (input, options) => start(input, options).result,
  };
}

export async function runLocalOnboarding(
  request: OnboardingRequest,
  options: LocalOnboardingOptions,
): Promise<{ result: ExecutionResult; stack: Stack }> {
  const stack =
    options.stack ??
    (await openStack({
      config: options.config,
      ...(options.aws ? { aws: true } : {}),
      ...(options.emulatorState ? { emulatorState: options.emulatorState } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
      ...(options.authorize === false ? { authorize: false } : {}),
    }));
  try {
    options.onStack?.(stack);
    if (options.faults?.length) await stack.addFaults(options.faults);
    const runner = await stackRunner(stack, {
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.lambdaFaults ? { lambdaFaults: options.lambdaFaults } : {}),
      ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}),
      ...(options.retrierOverride ? { retrierOverride: options.retrierOverride } : {}),
    });
    const startedAt = new Date();
    const executionArn = runner.executionArn(request.requestId);
    let ended = false;
    let deciding: Promise<unknown> | undefined;
    let running: RunningExecution | undefined;
    const { approval, onEvent } = options;
    const watch =
      approval || onEvent
        ? (event: TimelineEvent) => {
            onEvent?.(event);
            if (approval && !deciding && event.type === 'StateEntered' && event.state === APPROVAL_STATE) {
              deciding = decideWhenPending(
                stack,
                options.config,
                request.requestId,
                executionArn,
                approval,
                () => ended,
              )
                // A decision that could not be given leaves nobody to answer: the execution is stopped.
                .catch((error: unknown) => {
                  running?.abort();
                  return error;
                });
            }
          }
        : undefined;
    running = runner.start(request, { name: request.requestId, ...(watch ? { onEvent: watch } : {}) });
    // Recorded once the execution exists, as the HTTP API records it; a failed write fails the run
    // after the execution has ended (it is not left running behind the error).
    const accepting = stack
      .ledgerFor('cli')
      .recordAccepted({
        requestId: request.requestId,
        executionArn: running.executionArn,
        requestedBy: options.requestedBy ?? { channel: 'cli', identity: 'onboard run' },
        access: accessOf(request, options.config),
        startedAt,
        acceptedAt: new Date(),
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const result = await running.result.finally(() => {
      ended = true;
    });
    const acceptFailure = await accepting;
    const decideFailure = await deciding;
    await stack.ledgerSettled();
    if (acceptFailure) throw acceptFailure;
    if (decideFailure) throw decideFailure;
    return { result, stack };
  } finally {
    if (!options.stack) await stack.close();
  }
}

/** Waits until AwaitApproval has stored this execution's pending approval, then decides it. */
async function decideWhenPending(
  stack: Stack,
  config: OnboardingConfig,
  requestId: string,
  executionArn: string,
  approval: RunApproval,
  ended: () => boolean,
): Promise<undefined> {
  const clients = stack.clients('httpApi');
  const store = new DynamoApprovalStore(clients.dynamodb, stack.ledgerTable.tableName);
  for (;;) {
    if (ended()) return undefined;
    const record = await store.get(requestId);
    if (record?.status === 'pending' && record.executionArn === executionArn) {
      approval.onPending?.(record);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const outcome = await decideApproval(
    {
      requestId,
      approver: approval.approver,
      decision: approval.decision,
      ...(approval.reason ? { reason: approval.reason } : {}),
    },
    { config, store, callbacks: new SfnTaskCallbacks(clients.sfn) },
  );
  approval.onDecided?.(outcome);
  return undefined;
}
