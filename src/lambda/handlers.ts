import * as z from 'zod/mini';
import { APPROVAL_STATE, type ApprovalStore, checkApproved } from '../approvals/approvals.ts';
import { canonicalJson } from '../canonical-json.ts';
import { callbackPolicyOf, type RuntimeConfig, STAGE_ENV } from '../config.ts';
import { ForgedInvocationError, InvalidConfigurationError, RequestNotAllowedError } from '../errors.ts';
import { checkCallbackUrl } from '../notifier/callback-policy.ts';
import { makePlan } from '../plan.ts';
import {
  approvalOf,
  checkAllowed,
  checkRequester,
  onboardingRequestSchema,
  validateRequest,
} from '../request.ts';
import { stepInputSchema, undoStateName } from '../steps/input.ts';
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

/**
 * Proves the event is its execution's own: the execution is running this state now, and what the event
 * carries is what the execution recorded as the state's input (each field compared as canonical JSON).
 */
export async function verifyInvocation(
  deps: Pick<TaskDeps, 'executions'>,
  state: string,
  execution: string,
  carried: Record<string, unknown>,
): Promise<void> {
  const recorded = (await deps.executions.currentStateInput(execution, state)) as Record<
    string,
    unknown
  > | null;
  for (const [field, value] of Object.entries(carried)) {
    if (canonicalJson(value) !== canonicalJson(recorded?.[field])) {
      throw new ForgedInvocationError(
        `${state}: the event's ${field} is not the one execution ${execution} recorded for this state`,
      );
    }
  }
}

/**
 * ValidateRequest: schema, allowlists and the callback URL (one this stage would call, as the HTTP API
 * checks it), no AWS call. Its output is the execution's initial state. It has no AWS access and no
 * effect, so it verifies nothing beyond the request: a forged call only gets back what it sent, checked.
 */
export function validateRequestHandler(deps: Provider<{ config: RuntimeConfig }>): Handler<unknown> {
  return async (event, context) => {
    const parsed = parseEvent(validateEventSchema, event, 'ValidateRequest');
    const requestId = (parsed.input as { requestId?: unknown } | null)?.requestId;
    const ids = {
      requestId: typeof requestId === 'string' ? requestId : undefined,
      execution: parsed.execution,
    };
    return traced('ValidateRequest', ids, context, async () => {
      const { config } = deps();
      const request = validateRequest(parsed.input, config);
      if (request.contact?.callbackUrl !== undefined) {
        // An execution started without the HTTP API (the console, the CLI, a script) is held to the same.
        if (config.stage === undefined) {
          throw new InvalidConfigurationError(
            `${STAGE_ENV} is not set: which stage's api.callbackAllowedHosts applies to the callback URL?`,
          );
        }
        checkCallbackUrl(request, callbackPolicyOf(config, config.stage));
      }
      // What the approval gate needs (NeedsApproval, AwaitApproval's TimeoutSecondsPath): from the configuration.
      return { request, approval: approvalOf(request, config), created: {}, rollback: {} };
    });
  };
}

const awaitApprovalEventSchema = z.strictObject({
  taskToken: z.string().check(z.minLength(1)),
  request: onboardingRequestSchema,
  execution,
});

/** What AwaitApproval needs: its execution to verify against, the configuration, and the ledger. */
export interface ApprovalTaskDeps extends Pick<TaskDeps, 'executions' | 'config'> {
  approvals?: Pick<ApprovalStore, 'recordPending'>;
  now?: () => Date;
}

/**
 * AwaitApproval (`.waitForTaskToken`): stores the pending approval and its task token in the ledger,
 * then returns; the execution waits until an approver's decision answers the token (decideApproval), or
 * the state's TimeoutSecondsPath (approval.expiresAfterSeconds) runs out. No IAM call, nothing created.
 * The token is never returned, logged or put in an error.
 */
export function awaitApprovalHandler(deps: Provider<ApprovalTaskDeps>): Handler<unknown> {
  return async (event, context) => {
    const {
      taskToken,
      request,
      execution: arn,
    } = parseEvent(awaitApprovalEventSchema, event, APPROVAL_STATE);
    return traced(APPROVAL_STATE, { requestId: request.requestId, execution: arn }, context, async () => {
      const d = deps();
      await verifyInvocation(d, APPROVAL_STATE, arn, { request });
      const profile = checkAllowed(request, d.config);
      checkRequester(request, profile);
      const need = approvalOf(request, d.config);
      if (!need.required) {
        throw new RequestNotAllowedError(
          `request ${request.requestId}: profile "${request.profile}" is not privileged; it needs no approval`,
        );
      }
      if (!d.approvals) {
        throw new InvalidConfigurationError(
          'the approval gate has no ledger (ONBOARDING_LEDGER_TABLE is not set for this function)',
        );
      }
      const now = d.now?.() ?? new Date();
      const expiresAt = new Date(now.getTime() + need.expiresAfterSeconds * 1000).toISOString();
      await d.approvals.recordPending({
        requestId: request.requestId,
        executionArn: arn,
        profile: request.profile,
        requester: request.requestedBy ?? '',
        approvers: need.approvers,
        requestedAt: now.toISOString(),
        expiresAt,
        taskToken,
      });
      // Step Functions ignores this (the token's answer is the task's result); the history keeps it.
      return { waitingFor: need.approvers, expiresAt };
    });
  };
}

const planEventSchema = z.strictObject({ request: onboardingRequestSchema, execution });

/** Plan: reads the account, writes nothing. */
export function planHandler(deps: Provider<TaskDeps>): Handler<unknown> {
  return async (event, context) => {
    const { request, execution: arn } = parseEvent(planEventSchema, event, 'Plan');
    return traced('Plan', { requestId: request.requestId, execution: arn }, context, async () => {
      const d = deps();
      await verifyInvocation(d, 'Plan', arn, { request });
      // The request is checked against the configuration again: the event is never trusted for it.
      checkAllowed(request, d.config);
      // A privileged request only with its approval in the ledger: a forged SendTaskSuccess stops here.
      if (approvalOf(request, d.config).required) {
        if (!d.approvals) {
          throw new InvalidConfigurationError(
            'Plan cannot check the approval of a privileged request: ONBOARDING_LEDGER_TABLE is not set for this function',
          );
        }
        await checkApproved(request, arn, d.config, d.approvals);
      }
      return makePlan(request, d);
    });
  };
}

/** A saga step's two entry points: the step and its undo, over the same (parsed) input. */
export function stepHandlers<N extends string, R>(step: SagaStep<N, R>, deps: Provider<TaskDeps>) {
  const undoName = undoStateName(step.name);
  const ids = (input: StepInput) => ({ requestId: input.request.requestId, execution: input.execution });
  /** Every step and undo: parsed, proven its execution's own, the request re-checked, then acted on. */
  const checked = async (state: string, input: StepInput): Promise<TaskDeps> => {
    const d = deps();
    const { request, plan, created, execution } = input;
    await verifyInvocation(d, state, execution, { request, plan, created });
    // The execution is past Plan (the recorded state proves it), which checked the approval.
    checkAllowed(request, d.config);
    return d;
  };
  const handler: Handler<R> = async (event, context) => {
    const input = parseEvent(stepInputSchema, event, step.name);
    return traced(step.name, ids(input), context, async () =>
      step.run(input, await checked(step.name, input)),
    );
  };
  const undo: Handler<UndoResult> = async (event, context) => {
    const input = parseEvent(stepInputSchema, event, undoName);
    return traced(undoName, ids(input), context, async () =>
      step.undo(input, await checked(undoName, input)),
    );
  };
  return { handler, undo };
}
