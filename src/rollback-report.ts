import { canonicalJson } from './canonical-json.ts';
import { FORWARD_STATES, SAGA_STEP_NAMES, UNDO_STATES } from './steps/names.ts';
import type { UndoResult } from './steps/types.ts';

/**
 * Turns the state of a failed execution into its final error and cause: the original error, the step
 * that failed, what was rolled back, what was kept on purpose, and what is left behind.
 */

/** The `error` of a left-behind resource that this execution may have created but cannot prove its own. */
export const NOT_PROVEN_OURS = 'NotProvenOurs';

export interface FailureCause {
  failedStep: string;
  error: string;
  message: string;
  rolledBack: { step: string; detail: string }[];
  kept: { step: string; detail: string }[];
  leftBehind: { step: string; error: string; message: string }[];
}

export interface RollbackOutcome {
  incomplete: boolean;
  error: string;
  cause: string;
}

interface CaughtError {
  Error?: string;
  Cause?: string;
}

interface FailedState {
  request?: unknown;
  plan?: unknown;
  created?: Record<string, unknown>;
  failure?: CaughtError;
  rollback?: Record<string, UndoResult | CaughtError>;
}

/** A Lambda error's Cause is JSON (`errorType`, `errorMessage`); a local one may be plain text. */
export function messageOf(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message
  }
  return cause;
}

/** The object without its `failure` member, as canonical JSON (the Catch writes `failure` over the input). */
const withoutFailure = (value: unknown): string => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return canonicalJson(value);
  const { failure: _, ...rest } = value as Record<string, unknown>;
  return canonicalJson(rest);
};

/**
 * ValidateRequest replaces the execution's input with `{ request, created, rollback }`; when it fails,
 * its Catch adds `failure` to the raw input, which may carry any member (`request`, `plan`, ...). So
 * the state is judged against the execution's input (`$$.Execution.Input`), never by its members
 * alone: a validated state never equals its input, since a valid input has no `request` member.
 */
function failedValidation(state: FailedState, executionInput: unknown): boolean {
  return state.request === undefined || withoutFailure(state) === withoutFailure(executionInput);
}

function failedStepOf(state: FailedState, executionInput: unknown): string {
  if (failedValidation(state, executionInput)) return 'ValidateRequest';
  if (state.plan === undefined) return 'Plan';
  // Steps run in order and each success records its result: the first without one is the one that failed.
  const created = state.created ?? {};
  return (
    SAGA_STEP_NAMES.find((name) => !(name in created)) ??
    FORWARD_STATES[FORWARD_STATES.length - 1] ??
    'unknown'
  );
}

/**
 * The request id to log the report under: the validated request's, or the raw input's when validation
 * failed (a string only: the raw input is untrusted).
 */
export function requestIdOf(state: FailedState, executionInput: unknown): string | undefined {
  const source = failedValidation(state, executionInput) ? executionInput : state.request;
  const requestId = (source as { requestId?: unknown } | null | undefined)?.requestId;
  return typeof requestId === 'string' ? requestId : undefined;
}

/** `executionInput` is the execution's input (`$$.Execution.Input`): it tells a raw input from a validated state. */
export function reportRollback(state: FailedState, executionInput: unknown): RollbackOutcome {
  const error = state.failure?.Error ?? 'UnknownError';
  const cause: FailureCause = {
    failedStep: failedStepOf(state, executionInput),
    error,
    message: messageOf(state.failure?.Cause),
    rolledBack: [],
    kept: [],
    leftBehind: [],
  };
  for (const undo of UNDO_STATES) {
    const result = state.rollback?.[undo];
    if (!result) continue;
    if ('Error' in result && result.Error) {
      cause.leftBehind.push({ step: undo, error: result.Error, message: messageOf(result.Cause) });
    } else if ('status' in result) {
      if (result.status === 'undone') cause.rolledBack.push({ step: undo, detail: result.detail });
      if (result.status === 'kept') cause.kept.push({ step: undo, detail: result.detail });
      // Left in place because it cannot be proven ours: not clean, whatever the undo's own outcome.
      if (result.status === 'unproven')
        cause.leftBehind.push({ step: undo, error: NOT_PROVEN_OURS, message: result.detail });
    }
  }
  return { incomplete: cause.leftBehind.length > 0, error, cause: JSON.stringify(cause) };
}
