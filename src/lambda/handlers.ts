import * as z from 'zod/mini';
import type { RuntimeConfig } from '../config.ts';
import { makePlan } from '../plan.ts';
import { onboardingRequestSchema, validateRequest } from '../request.ts';
import { reportRollback } from '../rollback-report.ts';
import { stepInputSchema, undoStateName } from '../steps/index.ts';
import type { SagaStep, StepInput, TaskDeps, UndoResult } from '../steps/types.ts';
import { type Handler, parseEvent, traced } from './shared.ts';

/**
 * The Lambda handlers of the state machine's Tasks, each built with its dependencies (a provider, so
 * that Lambda builds them on first use and the local runner hands in its own stack's). Every handler
 * parses its event before acting on it: a malformed event fails as InvalidRequest, never deep inside.
 */

export type Provider<D> = () => D;

const execution = z.string().check(z.minLength(1));

const validateEventSchema = z.object({ input: z.unknown(), execution });

/** ValidateRequest: schema and allowlists, no AWS call. Its output is the execution's initial state. */
export function validateRequestHandler(deps: Provider<{ config: RuntimeConfig }>): Handler<unknown> {
  return async (event, context) => {
    const parsed = parseEvent(validateEventSchema, event, 'ValidateRequest');
    const requestId = (parsed.input as { requestId?: unknown } | null)?.requestId;
    const ids = {
      requestId: typeof requestId === 'string' ? requestId : undefined,
      execution: parsed.execution,
    };
    return traced('ValidateRequest', ids, context, async () => {
      const request = validateRequest(parsed.input, deps().config);
      return { request, created: {}, rollback: {} };
    });
  };
}

const planEventSchema = z.strictObject({ request: onboardingRequestSchema, execution });

/** Plan: reads the account, writes nothing. */
export function planHandler(deps: Provider<TaskDeps>): Handler<unknown> {
  return async (event, context) => {
    const { request, execution: arn } = parseEvent(planEventSchema, event, 'Plan');
    return traced('Plan', { requestId: request.requestId, execution: arn }, context, () =>
      makePlan(request, deps()),
    );
  };
}

/** A saga step's two entry points: the step and its undo, over the same (parsed) input. */
export function stepHandlers<N extends string, R>(step: SagaStep<N, R>, deps: Provider<TaskDeps>) {
  const undoName = undoStateName(step.name);
  const ids = (input: StepInput) => ({ requestId: input.request.requestId, execution: input.execution });
  const handler: Handler<R> = async (event, context) => {
    const input = parseEvent(stepInputSchema, event, step.name);
    return traced(step.name, ids(input), context, () => step.run(input, deps()));
  };
  const undo: Handler<UndoResult> = async (event, context) => {
    const input = parseEvent(stepInputSchema, event, undoName);
    return traced(undoName, ids(input), context, () => step.undo(input, deps()));
  };
  return { handler, undo };
}

const reportEventSchema = z.object({ state: z.record(z.string(), z.unknown()), execution });

/** ReportRollback: the final error and cause of a failed onboarding. No AWS call. */
export function reportRollbackHandler(): Handler<unknown> {
  return async (event, context) => {
    const { state, execution: arn } = parseEvent(reportEventSchema, event, 'ReportRollback');
    const requestId = (state.request as { requestId?: string } | undefined)?.requestId;
    return traced('ReportRollback', { requestId, execution: arn }, context, async () =>
      reportRollback(state),
    );
  };
}
