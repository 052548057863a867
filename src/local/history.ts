import type { ExecutionStatus, HistoryEvent } from '@aws-sdk/client-sfn';
import { type ExecutionDescription, type ExecutionOutcome, outcomeOf } from '../execution/outcome.ts';
import type { ExecutionResult, TimelineEvent } from './runner.ts';

/**
 * The interpreter's events in the shape of Step Functions' GetExecutionHistory for a state machine
 * whose Tasks call Lambda functions by ARN:
 *   ExecutionStarted
 *   TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
 *     LambdaFunctionFailed (then Scheduled/Started again on a Retry) ..., LambdaFunctionSucceeded,
 *   TaskStateExited (also after a caught failure; none when the failure ends the execution)
 *   ChoiceStateEntered/Exited, PassStateEntered/Exited, SucceedStateEntered/Exited,
 *   FailStateEntered (a Fail state has no exit)
 *   ExecutionSucceeded | ExecutionFailed | ExecutionAborted
 * Ids count from 1; each event names the previous one (the first state's previous is 0, as on AWS).
 * Timestamps are Dates, as the SDK gives them; the local API puts them on the wire in epoch seconds.
 */

export interface HistorySource {
  input: string;
  events: readonly TimelineEvent[];
  /** What StopExecution was given; read when the abort is recorded. */
  stopped?: { error?: string; cause?: string };
}

export interface HistoryContext {
  /** The Lambda ARN a Task calls; its state name where unknown. */
  functionArnOf?(state: string): string | undefined;
  roleArn?: string;
}

const PREFIX: Record<string, string> = {
  Task: 'TaskState',
  Choice: 'ChoiceState',
  Pass: 'PassState',
  Fail: 'FailState',
  Succeed: 'SucceedState',
  Wait: 'WaitState',
  Parallel: 'ParallelState',
  Map: 'MapState',
};

const NOT_TRUNCATED = { truncated: false };
const json = (v: unknown) => JSON.stringify(v ?? null);
const errorAndCause = (v: { error?: string | undefined; cause?: string | undefined } | undefined) => ({
  ...(v?.error ? { error: v.error } : {}),
  ...(v?.cause ? { cause: v.cause } : {}),
});

/** Converts the runner's events one by one, as they come: `onboard run` follows an execution live. */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  private firstState = true;
  /** Whether the last Lambda invocation of the current Task failed (then its exit is a caught one). */
  private lambdaFailed = false;
  private added: HistoryEvent[] = [];

  constructor(
    private readonly source: Omit<HistorySource, 'events'>,
    private readonly ctx: HistoryContext = {},
  ) {}

  private push(at: number, type: string, details: Partial<HistoryEvent> = {}, previous?: number): void {
    const id = this.events.length + 1;
    const event = {
      timestamp: new Date(at),
      type,
      id,
      previousEventId: previous ?? id - 1,
      ...details,
    } as HistoryEvent;
    this.events.push(event);
    this.added.push(event);
  }

  private schedule(at: number, state: string): void {
    const resource = this.ctx.functionArnOf?.(state) ?? state;
    this.push(at, 'LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource } });
    this.push(at, 'LambdaFunctionStarted');
    this.lambdaFailed = false;
  }

  /** Records one runner event; answers the history events it adds (none, one or several). */
  add(ev: TimelineEvent): HistoryEvent[] {
    this.added = [];
    const prefix = PREFIX[ev.stateType ?? ''] ?? 'TaskState';
    const isTask = ev.stateType === 'Task';
    switch (ev.type) {
      case 'ExecutionStarted':
        this.push(ev.at, 'ExecutionStarted', {
          executionStartedEventDetails: {
            input: this.source.input,
            inputDetails: NOT_TRUNCATED,
            ...(this.ctx.roleArn ? { roleArn: this.ctx.roleArn } : {}),
          },
        });
        break;
      case 'StateEntered':
        this.push(
          ev.at,
          `${prefix}Entered`,
          {
            stateEnteredEventDetails: { name: ev.state, input: json(ev.data), inputDetails: NOT_TRUNCATED },
          },
          this.firstState ? 0 : undefined,
        );
        this.firstState = false;
        if (isTask && ev.state) this.schedule(ev.at, ev.state);
        break;
      case 'StateFailed': {
        if (!isTask) break;
        this.lambdaFailed = true;
        const timedOut = ev.error === 'States.Timeout';
        this.push(ev.at, timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed', {
          [timedOut ? 'lambdaFunctionTimedOutEventDetails' : 'lambdaFunctionFailedEventDetails']:
            errorAndCause(ev),
        });
        break;
      }
      case 'StateRetried':
        if (isTask && ev.state) this.schedule(ev.at, ev.state);
        break;
      case 'StateExited':
        if (isTask && !this.lambdaFailed)
          this.push(ev.at, 'LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: {} });
        if (ev.stateType === 'Fail') break;
        this.push(ev.at, `${prefix}Exited`, {
          stateExitedEventDetails: { name: ev.state, output: json(ev.data), outputDetails: NOT_TRUNCATED },
        });
        break;
      case 'ExecutionSucceeded':
        this.push(ev.at, 'ExecutionSucceeded', {
          executionSucceededEventDetails: { output: json(ev.data), outputDetails: NOT_TRUNCATED },
        });
        break;
      case 'ExecutionFailed':
        this.push(ev.at, 'ExecutionFailed', { executionFailedEventDetails: errorAndCause(ev) });
        break;
      case 'ExecutionAborted':
        this.push(ev.at, 'ExecutionAborted', {
          executionAbortedEventDetails: errorAndCause(this.source.stopped),
        });
        break;
      default:
        break;
    }
    return this.added;
  }
}

export function historyOf(source: HistorySource, ctx: HistoryContext = {}): HistoryEvent[] {
  const recorder = new HistoryRecorder(source, ctx);
  for (const ev of source.events) recorder.add(ev);
  return recorder.events;
}

/** A local execution as DescribeExecution tells it. */
export interface LocalExecutionState {
  arn: string;
  name: string;
  startedAt: number;
  status: ExecutionStatus;
  result?: Pick<ExecutionResult, 'status' | 'output' | 'error' | 'cause' | 'stoppedAt'>;
  stopped?: { error?: string; cause?: string };
}

export function descriptionOf(e: LocalExecutionState): ExecutionDescription {
  const r = e.result;
  const error = r?.error ?? e.stopped?.error;
  const cause = r?.cause ?? e.stopped?.cause;
  return {
    executionArn: e.arn,
    name: e.name,
    status: e.status,
    startDate: new Date(e.startedAt),
    ...(r ? { stopDate: new Date(r.stoppedAt) } : {}),
    ...(r?.status === 'SUCCEEDED' ? { output: JSON.stringify(r.output ?? null) } : {}),
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
  };
}

/** The outcome of a finished local run (`onboard run`, one roster row), from its result and history. */
export function outcomeOfRun(result: ExecutionResult, events: HistoryEvent[]): ExecutionOutcome {
  return outcomeOf(
    descriptionOf({
      arn: result.executionArn,
      name: result.name,
      startedAt: result.startedAt,
      status: result.status,
      result,
    }),
    events,
  );
}
