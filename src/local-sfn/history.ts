import type { TimelineEvent } from '../runner/local-runner.ts';

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
 */

export interface HistorySource {
  input: string;
  events: readonly TimelineEvent[];
  stopped?: { error?: string; cause?: string };
}

export interface HistoryContext {
  functionArnOf(state: string): string | undefined;
  roleArn: string;
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

export function historyOf(source: HistorySource, ctx: HistoryContext): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let firstState = true;
  const push = (at: number, type: string, details: Record<string, unknown> = {}, previous?: number) => {
    const id = out.length + 1;
    out.push({ timestamp: at / 1000, type, id, previousEventId: previous ?? id - 1, ...details });
  };
  /** Whether the last Lambda invocation of the current Task failed (then its exit is a caught one). */
  let lambdaFailed = false;
  const schedule = (at: number, state: string) => {
    const resource = ctx.functionArnOf(state) ?? state;
    push(at, 'LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource } });
    push(at, 'LambdaFunctionStarted');
    lambdaFailed = false;
  };

  for (const ev of source.events) {
    const prefix = PREFIX[ev.stateType ?? ''] ?? 'TaskState';
    const isTask = ev.stateType === 'Task';
    switch (ev.type) {
      case 'ExecutionStarted':
        push(ev.at, 'ExecutionStarted', {
          executionStartedEventDetails: {
            input: source.input,
            inputDetails: NOT_TRUNCATED,
            roleArn: ctx.roleArn,
          },
        });
        break;
      case 'StateEntered':
        push(
          ev.at,
          `${prefix}Entered`,
          {
            stateEnteredEventDetails: { name: ev.state, input: json(ev.data), inputDetails: NOT_TRUNCATED },
          },
          firstState ? 0 : undefined,
        );
        firstState = false;
        if (isTask && ev.state) schedule(ev.at, ev.state);
        break;
      case 'StateFailed':
        if (!isTask) break;
        lambdaFailed = true;
        push(ev.at, ev.error === 'States.Timeout' ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed', {
          [ev.error === 'States.Timeout'
            ? 'lambdaFunctionTimedOutEventDetails'
            : 'lambdaFunctionFailedEventDetails']: {
            ...(ev.error ? { error: ev.error } : {}),
            ...(ev.cause ? { cause: ev.cause } : {}),
          },
        });
        break;
      case 'StateRetried':
        if (isTask && ev.state) schedule(ev.at, ev.state);
        break;
      case 'StateExited':
        if (isTask && !lambdaFailed)
          push(ev.at, 'LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: {} });
        if (ev.stateType === 'Fail') break;
        push(ev.at, `${prefix}Exited`, {
          stateExitedEventDetails: { name: ev.state, output: json(ev.data), outputDetails: NOT_TRUNCATED },
        });
        break;
      case 'ExecutionSucceeded':
        push(ev.at, 'ExecutionSucceeded', {
          executionSucceededEventDetails: { output: json(ev.data), outputDetails: NOT_TRUNCATED },
        });
        break;
      case 'ExecutionFailed':
        push(ev.at, 'ExecutionFailed', {
          executionFailedEventDetails: {
            ...(ev.error ? { error: ev.error } : {}),
            ...(ev.cause ? { cause: ev.cause } : {}),
          },
        });
        break;
      case 'ExecutionAborted':
        push(ev.at, 'ExecutionAborted', {
          executionAbortedEventDetails: {
            ...(source.stopped?.error ? { error: source.stopped.error } : {}),
            ...(source.stopped?.cause ? { cause: source.stopped.cause } : {}),
          },
        });
        break;
      default:
        break;
    }
  }
  return out;
}
