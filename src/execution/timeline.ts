import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { messageOf } from '../rollback-report.ts';
import { type SagaStepName, UNDO_STATES } from '../steps/names.ts';

/**
 * The step timeline of an execution, read from Step Functions' own history events (GetExecutionHistory,
 * or the local runner's log converted to that shape by src/local/history.ts). Built incrementally,
 * so that `onboard run` can print each step as it ends while the execution runs; the same builder
 * gives `onboard status` and `GET /onboardings/{id}` their timeline.
 */

/** `stopped`: the execution was aborted or timed out while the state ran. */
export type StepStatus = 'running' | 'succeeded' | 'failed' | 'stopped';

export interface TimelineStep {
  state: string;
  status: StepStatus;
  startedAt: string;
  durationMs?: number;
  /** How many times the state ran: a Task's invocations, retries included; 1 for a state that invokes nothing. */
  attempts: number;
  /** The last failed attempt's error: why it failed, or what a retry recovered from. */
  error?: string;
  message?: string;
  /** What the state reported: an undo's result, or a user adopted by its tag after a lost answer. */
  detail?: string;
}

/** The state's type, from its history events' names (`TaskStateEntered` -> Task). */
export type StateType = 'Task' | 'Choice' | 'Pass' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

export type TimelineChange =
  /** A failed attempt is tried again: `retry` counts from 1. */
  | { kind: 'retried'; state: string; retry: number; error?: string; message?: string }
  /** A state ended: it exited, or the execution ended while it ran (a Fail state, an uncaught error, an abort). */
  | { kind: 'ended'; stateType: StateType; step: TimelineStep };

const STATE_TYPES = new Set<string>(['Task', 'Choice', 'Pass', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map']);

/** The events that start one invocation of a Task's resource. */
const SCHEDULED = new Set(['LambdaFunctionScheduled', 'TaskScheduled', 'ActivityScheduled']);
const SUCCEEDED = new Set(['LambdaFunctionSucceeded', 'TaskSucceeded', 'ActivitySucceeded']);

/** Where each kind of failed attempt keeps its error and cause. */
const FAILURE_DETAILS = [
  'lambdaFunctionFailedEventDetails',
  'lambdaFunctionTimedOutEventDetails',
  'lambdaFunctionStartFailedEventDetails',
  'lambdaFunctionScheduleFailedEventDetails',
  'taskFailedEventDetails',
  'taskTimedOutEventDetails',
  'taskStartFailedEventDetails',
  'taskSubmitFailedEventDetails',
  'activityFailedEventDetails',
  'activityTimedOutEventDetails',
  'activityScheduleFailedEventDetails',
] as const satisfies readonly (keyof HistoryEvent)[];

function attemptFailure(event: HistoryEvent): { error?: string; cause?: string } | undefined {
  for (const key of FAILURE_DETAILS) {
    const details = event[key] as { error?: string; cause?: string } | undefined;
    if (details) return details;
  }
  return undefined;
}

const ADOPTED = 'adopted by its tag: the first answer was lost';
const CREATE_USER: SagaStepName = 'CreateUser';

function parsed(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What a state's output says worth a line: an undo's result, or CreateUser adopting its own user. */
export function detailOf(state: string, output: string | undefined): string | undefined {
  if (state === CREATE_USER) {
    const value = parsed(output) as { created?: { CreateUser?: { adopted?: unknown } } } | undefined;
    return value?.created?.CreateUser?.adopted === true ? ADOPTED : undefined;
  }
  if (!UNDO_STATES.includes(state)) return undefined;
  const value = parsed(output) as
    | { rollback?: Record<string, { status?: unknown; detail?: unknown } | undefined> }
    | undefined;
  const result = value?.rollback?.[state];
  // A failed undo records its Error and Cause instead: the step's error says that.
  if (typeof result?.status !== 'string' || typeof result.detail !== 'string') return undefined;
  return `${result.status}: ${result.detail}`;
}

interface OpenStep {
  step: TimelineStep;
  type: StateType;
  startMs: number;
  /** Whether the last attempt failed (a Task that exits after it was caught). */
  lastFailed: boolean;
}

const ms = (event: HistoryEvent) => event.timestamp?.getTime() ?? 0;

export class TimelineBuilder {
  readonly steps: TimelineStep[] = [];
  private current: OpenStep | undefined;

  constructor(private readonly onChange?: (change: TimelineChange) => void) {}

  /** Feeds one history event, in the history's order. */
  add(event: HistoryEvent): this {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) this.enter(event, type.slice(0, -'StateEntered'.length));
    else if (type.endsWith('StateExited')) this.exit(event);
    else if (SCHEDULED.has(type)) this.scheduled();
    else if (SUCCEEDED.has(type)) {
      if (this.current) this.current.lastFailed = false;
    } else if (type === 'ExecutionFailed') {
      this.endExecution(event, 'failed', event.executionFailedEventDetails?.error);
    } else if (type === 'ExecutionAborted' || type === 'ExecutionTimedOut') {
      this.endExecution(event, 'stopped');
    } else {
      const failure = attemptFailure(event);
      if (failure) this.attemptFailed(failure);
    }
    return this;
  }

  addAll(events: Iterable<HistoryEvent>): this {
    for (const event of events) this.add(event);
    return this;
  }

  private enter(event: HistoryEvent, prefix: string): void {
    const name = event.stateEnteredEventDetails?.name;
    if (!name) return;
    const type: StateType = STATE_TYPES.has(prefix) ? (prefix as StateType) : 'Task';
    const step: TimelineStep = {
      state: name,
      status: 'running',
      startedAt: new Date(ms(event)).toISOString(),
      attempts: type === 'Task' ? 0 : 1,
    };
    this.steps.push(step);
    this.current = { step, type, startMs: ms(event), lastFailed: false };
  }

  private scheduled(): void {
    const open = this.current;
    if (!open) return;
    open.step.attempts++;
    open.lastFailed = false;
    if (open.step.attempts > 1) {
      const { state, error, message } = open.step;
      this.onChange?.({
        kind: 'retried',
        state,
        retry: open.step.attempts - 1,
        ...(error !== undefined ? { error } : {}),
        ...(message !== undefined ? { message } : {}),
      });
    }
  }

  private attemptFailed(failure: { error?: string; cause?: string }): void {
    const open = this.current;
    if (!open) return;
    open.lastFailed = true;
    open.step.error = failure.error ?? 'UnknownError';
    const message = messageOf(failure.cause);
    if (message) open.step.message = message;
    else delete open.step.message;
  }

  private exit(event: HistoryEvent): void {
    const open = this.current;
    const details = event.stateExitedEventDetails;
    if (!open || !details?.name || details.name !== open.step.state) return;
    // A Task caught into the rollback still exits: its last attempt's failure says it failed.
    const detail = open.lastFailed ? undefined : detailOf(open.step.state, details.output);
    this.close(open, event, open.lastFailed ? 'failed' : 'succeeded', detail);
  }

  private endExecution(event: HistoryEvent, status: 'failed' | 'stopped', error?: string): void {
    const open = this.current;
    if (!open) return;
    // A Fail state (or an error nothing caught) ends the execution: it carries the execution's error.
    if (status === 'failed' && open.step.error === undefined && error) open.step.error = error;
    this.close(open, event, status);
  }

  private close(open: OpenStep, event: HistoryEvent, status: StepStatus, detail?: string): void {
    const { state, startedAt, attempts, error, message } = open.step;
    // Rebuilt rather than patched, so that its JSON reads in the documented order.
    const step: TimelineStep = {
      state,
      status,
      startedAt,
      durationMs: Math.max(0, ms(event) - open.startMs),
      attempts,
      ...(error !== undefined ? { error } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(detail ? { detail } : {}),
    };
    this.steps[this.steps.lastIndexOf(open.step)] = step;
    this.current = undefined;
    this.onChange?.({ kind: 'ended', stateType: open.type, step: { ...step } });
  }
}

/** The whole timeline of a history. */
export function timelineOf(history: Iterable<HistoryEvent>): TimelineStep[] {
  return new TimelineBuilder().addAll(history).steps;
}
