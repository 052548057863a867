import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** Step Functions history events, written the way GetExecutionHistory returns them (test inputs only). */

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export function history() {
  let id = 0;
  const event = (type: string, ms: number, details: Partial<HistoryEvent> = {}): HistoryEvent =>
    ({ id: ++id, previousEventId: id - 1, type, timestamp: new Date(T0 + ms), ...details }) as HistoryEvent;
  const lambdaCause = (errorType: string, errorMessage: string) =>
    JSON.stringify({ errorType, errorMessage });
  return {
    event,
    lambdaCause,
    started: (ms: number) => event('ExecutionStarted', ms, { executionStartedEventDetails: { input: '{}' } }),
    entered: (type: string, name: string, ms: number) =>
      event(`${type}StateEntered`, ms, { stateEnteredEventDetails: { name, input: '{}' } }),
    exited: (type: string, name: string, ms: number, output: unknown = {}) =>
      event(`${type}StateExited`, ms, { stateExitedEventDetails: { name, output: JSON.stringify(output) } }),
    scheduled: (ms: number) => [
      event('LambdaFunctionScheduled', ms, { lambdaFunctionScheduledEventDetails: { resource: 'fn' } }),
      event('LambdaFunctionStarted', ms),
    ],
    lambdaSucceeded: (ms: number) =>
      event('LambdaFunctionSucceeded', ms, { lambdaFunctionSucceededEventDetails: {} }),
    lambdaFailed: (ms: number, error: string, cause?: string) =>
      event('LambdaFunctionFailed', ms, { lambdaFunctionFailedEventDetails: { error, cause } }),
    lambdaTimedOut: (ms: number) =>
      event('LambdaFunctionTimedOut', ms, {
        lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout', cause: 'Task timed out' },
      }),
  };
}
