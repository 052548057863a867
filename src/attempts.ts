import { canonicalJson } from './canonical-json.ts';

/**
 * Attempts of one request: a ticket whose execution rolled back cleanly can be sent again, and the
 * new attempt is a fresh execution. Step Functions refuses a name for 90 days, so attempt k of request
 * R is named `R` (k = 1) or `R-k` (k >= 2). A name that another request's execution holds (ticket
 * `HR-7-2` against `HR-7`'s second attempt) is skipped, so the numbers of one request can skip; the
 * execution's input (the validated request, which carries its requestId) says whose an execution is.
 * Step Functions is the truth: the names are walked from `R` until the first one nobody holds.
 */

/** Step Functions' execution name limit (letters, digits, `-` and `_`). */
export const MAX_EXECUTION_NAME = 80;
/** How many names one request may walk: far more than anyone re-runs a ticket. */
export const MAX_ATTEMPTS = 50;

/** The request id is too long to carry an attempt suffix within the execution name limit. */
export class RerunNameTooLongError extends Error {
  override readonly name = 'RerunNameTooLong' as const;
}

/** More attempts than MAX_ATTEMPTS: a loop somewhere, not a person re-sending a ticket. */
export class TooManyAttemptsError extends Error {
  override readonly name = 'TooManyAttempts' as const;
}

/** The execution name of attempt k of a request. */
export function attemptName(requestId: string, k: number): string {
  if (k <= 1) return requestId;
  const name = `${requestId}-${k}`;
  if (name.length > MAX_EXECUTION_NAME) {
    throw new RerunNameTooLongError(
      `request ${requestId} cannot be run again: its attempt ${k} would be named ${name}, longer than Step Functions' ${MAX_EXECUTION_NAME} characters; send it under a request id of at most ${MAX_EXECUTION_NAME - 1 - String(k).length} characters`,
    );
  }
  return name;
}

/** The requestId an execution's input (the validated request as JSON) carries, if it reads as one. */
export function requestIdOfInput(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const id = (JSON.parse(input) as { requestId?: unknown } | null)?.requestId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Which attempt of its request an execution is: 1 for `R`, k for `R-k`. */
export function attemptOf(executionName: string, requestId: string): number {
  if (executionName === requestId) return 1;
  const suffix = executionName.startsWith(`${requestId}-`) ? executionName.slice(requestId.length + 1) : '';
  return /^[1-9][0-9]*$/.test(suffix) ? Number(suffix) : 1;
}

/** Two encodings of one request compare equal (key order, whitespace). */
export function sameInput(a: string | null | undefined, b: string): boolean {
  if (a === undefined || a === null) return false;
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
}

/** One earlier attempt, as the ledger and the status show it. */
export interface AttemptSummary {
  attempt: number;
  executionArn: string;
  status: string;
  startedAt?: string;
  stoppedAt?: string;
  error?: string;
}

/** What the walk needs of an execution: whose it is (input), how it ended. */
export interface AttemptExecution {
  name: string;
  executionArn: string;
  input?: string | undefined;
  status: string;
  error?: string | undefined;
  cause?: string | undefined;
  startDate?: Date | undefined;
  stopDate?: Date | undefined;
}

export interface AttemptWalk<E extends AttemptExecution> {
  /** This request's executions, oldest first, with their attempt numbers. */
  ours: { attempt: number; execution: E }[];
  /** The first name nobody holds, and its attempt number: where a new attempt starts. */
  next: { attempt: number; name: string };
}

/**
 * Walks R, R-2, R-3, ... until a name nobody holds. `describe` answers undefined for a name that no
 * execution has. The names of a request's attempts are contiguous but for names other requests hold.
 */
export async function walkAttempts<E extends AttemptExecution>(
  requestId: string,
  describe: (name: string) => Promise<E | undefined>,
): Promise<AttemptWalk<E>> {
  const ours: AttemptWalk<E>['ours'] = [];
  for (let k = 1; k <= MAX_ATTEMPTS; k++) {
    // Only the names this walk reaches are built: a long id fails only when it must be run again.
    const name = attemptName(requestId, k);
    const execution = await describe(name);
    if (!execution) return { ours, next: { attempt: k, name } };
    if (requestIdOfInput(execution.input) === requestId) ours.push({ attempt: k, execution });
  }
  throw new TooManyAttemptsError(`request ${requestId} has more than ${MAX_ATTEMPTS} executions`);
}

export function summaryOfAttempt(attempt: number, e: AttemptExecution): AttemptSummary {
  return {
    attempt,
    executionArn: e.executionArn,
    status: e.status,
    ...(e.startDate ? { startedAt: e.startDate.toISOString() } : {}),
    ...(e.stopDate ? { stoppedAt: e.stopDate.toISOString() } : {}),
    ...(e.error ? { error: e.error } : {}),
  };
}
