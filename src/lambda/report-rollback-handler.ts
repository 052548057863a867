import * as z from 'zod/mini';
import { reportRollback, requestIdOf } from '../rollback-report.ts';
import { type Handler, parseEvent, traced } from './shared.ts';

/**
 * ReportRollback's handler, apart from src/lambda/handlers.ts: the report knows the whole saga
 * (src/steps/index.ts), which no other task's bundle needs.
 */

const execution = z.string().check(z.minLength(1));

const reportEventSchema = z.object({
  state: z.record(z.string(), z.unknown()),
  // The execution's input ($$.Execution.Input): how the report tells a raw input from a validated state.
  input: z.unknown(),
  execution,
});

/**
 * ReportRollback: the final error and cause of a failed onboarding. No AWS call and no effect: like
 * ValidateRequest it only returns what it is given, formatted, so it has no AWS access to verify with.
 */
export function reportRollbackHandler(): Handler<unknown> {
  return async (event, context) => {
    const { state, input, execution: arn } = parseEvent(reportEventSchema, event, 'ReportRollback');
    return traced(
      'ReportRollback',
      { requestId: requestIdOf(state, input), execution: arn },
      context,
      async () => reportRollback(state, input),
    );
  };
}
