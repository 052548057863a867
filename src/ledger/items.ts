import { type AttemptSummary, attemptOf, requestIdOfInput } from '../attempts.ts';
import { InvalidConfigurationError } from '../errors.ts';
import type { CreatedResources, Failure, OnboardingStatus } from '../execution/outcome.ts';
import { createdOf, failureOf, statusOf } from '../execution/outcome.ts';

/**
 * The ledger: one DynamoDB table (serverless.yml, `OnboardingLedgerTable`) that keeps every onboarding
 * request after Step Functions has forgotten it (90 days). Everything about one request lives under one
 * partition, `pk = REQUEST#<requestId>`; the sort key says what the item is, so approvals, admission,
 * callbacks and attempts join the same partition without a new table or index (docs/ledger.md):
 *
 *   sk = REQUEST              the request: who asked, what for, its status, what it created (this file)
 *   sk = APPROVAL             reserved: the pending approval and its task token, then the decision
 *   sk = ADMISSION            reserved: the slot taken in the in-flight cap
 *   sk = CALLBACK#<time>      reserved: one completion callback delivery
 *   sk = ATTEMPT#<time>       reserved: one run of the execution (a redrive is a second attempt)
 *
 * Only references are kept: names, ARNs, the access key id. Never a secret, never the raw execution
 * input or output, never the callback URL (ticketing tools put tokens in theirs).
 */

export const LEDGER_TABLE_ENV = 'ONBOARDING_LEDGER_TABLE';
/** The table's logical id in serverless.yml: the deploy and the local stack read the same definition. */
export const LEDGER_RESOURCE = 'OnboardingLedgerTable';

export const REQUEST_SK = 'REQUEST';
export const requestPk = (requestId: string) => `REQUEST#${requestId}`;

/** The sort keys later items take (reserved here so that no two issues pick the same shape). */
export const ITEM_SK = {
  request: REQUEST_SK,
  approval: 'APPROVAL',
  /** An offboarding: its snapshot, its phase, and during the grace period the restore's task token. */
  offboarding: 'OFFBOARDING',
  admission: 'ADMISSION',
  callback: (at: string) => `CALLBACK#${at}`,
  attempt: (at: string) => `ATTEMPT#${at}`,
} as const;

/** Step Functions' own execution statuses: the ledger says what the execution says. */
export type LedgerStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
const TERMINAL: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
export const isTerminal = (status: string): status is Exclude<LedgerStatus, 'RUNNING'> =>
  TERMINAL.has(status);

/** The API's status of what the ledger holds: what `GET /onboardings/{id}` would answer from it. */
export function outcomeStatusOf(status: LedgerStatus, failure?: Failure): OnboardingStatus {
  return statusOf({
    status,
    error: failure?.error,
    // Our rollback report, as the execution's cause carried it.
    cause: failure && 'failedStep' in failure ? JSON.stringify(failure) : undefined,
  });
}

/** Who asked: the channel the request came through and, where there is one, the authenticated caller. */
export interface RequestedBy {
  /** `http-api`: a ticketing tool through the HTTP API; `cli`: an operator's `onboard start`/`run`. */
  channel: 'http-api' | 'cli';
  /** The ticketing payload the HTTP API adapted (generic, jira, servicenow). */
  source?: string;
  /** How the HTTP caller proved itself (the API has one shared secret per method, no per-caller identity). */
  auth?: 'signature' | 'bearer';
  /** The CLI's operating-system user, or the command. */
  identity?: string;
}

/**
 * What the request asked for, as the request carries it (references only), and what its profile
 * meant when it was accepted (the configuration may change later; the record keeps what was granted).
 */
export interface RequestedAccess {
  userName: string;
  profile: string;
  /** The per-user extra policies the request added (attached to the user). */
  policyArns: string[];
  /** The profile's group and whether it needs an approval, as configured at acceptance. */
  group?: string;
  privileged?: boolean;
}

/** The `REQUEST` item, as stored. Timestamps are ISO 8601; `statusAt` orders writes (epoch ms). */
export interface RequestItem extends Partial<RequestedAccess> {
  pk: string;
  sk: typeof REQUEST_SK;
  itemType: 'request';
  requestId: string;
  executionArn: string;
  status: LedgerStatus;
  /**
   * The API's status (`running`, `succeeded`, `rolled back`, `rollback incomplete`, ...), written with
   * `status`: the key of the `byOutcome` index that `onboard list --status` and GET /onboardings?status=
   * query. Absent on items written before the index existed, until their next write.
   */
  outcome?: OnboardingStatus;
  /** When the execution reached `status` (its start, or its stop): a write with an older one is refused. */
  statusAt: number;
  requestedBy?: RequestedBy;
  acceptedAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  updatedAt: string;
  created?: CreatedResources;
  failure?: Failure;
  /**
   * Which attempt `executionArn` is (absent: the first). A re-run of a rolled-back ticket is a new
   * execution: the item then points at it, and keeps the earlier ones in `previousAttempts`.
   */
  attempt?: number;
  previousAttempts?: AttemptSummary[];
}

/** Written when a request is accepted (its execution has started). */
export interface AcceptedEntry {
  requestId: string;
  executionArn: string;
  /** Which attempt of the request (absent: 1), and the earlier ones (each rolled back). */
  attempt?: number;
  previousAttempts?: AttemptSummary[];
  requestedBy: RequestedBy;
  access: RequestedAccess;
  startedAt: Date;
  acceptedAt: Date;
}

/** Written when the execution ends (the notifier, from Step Functions' own description of it). */
export interface EndedEntry {
  requestId: string;
  executionArn: string;
  /** Which attempt of the request the execution is (from its name: `<requestId>-k`; absent: 1). */
  attempt?: number;
  status: Exclude<LedgerStatus, 'RUNNING'>;
  startedAt: Date;
  stoppedAt: Date;
  /** From the execution input, for a request whose acceptance was never recorded. */
  access?: RequestedAccess;
  created?: CreatedResources;
  failure?: Failure;
}

export type RecordResult =
  | { recorded: true }
  /** The write changed nothing: the item already holds this, or a newer status. */
  | { recorded: false; reason: string };

/** The verbs the entry points use; the DynamoDB implementation is src/ledger/dynamodb.ts. */
export interface RequestLedger {
  /** Idempotent: a second acceptance of the same execution changes nothing, and never lowers a status. */
  recordAccepted(entry: AcceptedEntry): Promise<RecordResult>;
  /** Idempotent; refused (not an error) when the item already holds a later status. */
  recordEnded(entry: EndedEntry): Promise<RecordResult>;
  get(requestId: string): Promise<RequestItem | undefined>;
}

/** The request written into another execution's item: two state machines share a table by mistake. */
export class LedgerConflictError extends Error {
  override readonly name = 'LedgerConflict' as const;
}

/** The request's fields the ledger keeps (a whitelist: nothing else of the request is stored). */
export function accessOf(
  request: { userName: string; profile: string; policyArns?: readonly string[] },
  config?: { profiles: Record<string, { group: string; privileged: boolean }> },
): RequestedAccess {
  const profile =
    config && Object.hasOwn(config.profiles, request.profile) ? config.profiles[request.profile] : undefined;
  return {
    userName: request.userName,
    profile: request.profile,
    policyArns: [...(request.policyArns ?? [])],
    ...(profile ? { group: profile.group, privileged: profile.privileged } : {}),
  };
}

/** The same from an execution's input (JSON of the validated request), when it reads as one. */
export function accessOfInput(input: string | null | undefined): RequestedAccess | undefined {
  if (!input) return undefined;
  try {
    const value = JSON.parse(input) as Record<string, unknown> | null;
    if (!value || typeof value.userName !== 'string' || typeof value.profile !== 'string') return undefined;
    const policyArns = Array.isArray(value.policyArns)
      ? value.policyArns.filter((x): x is string => typeof x === 'string')
      : [];
    return accessOf({ userName: value.userName, profile: value.profile, policyArns });
  } catch {
    return undefined;
  }
}

/** An execution as Step Functions describes it at its end (DescribeExecution, or the verified event). */
export interface EndedExecution {
  executionArn: string;
  name: string;
  status: string;
  startDate?: number | null;
  stopDate?: number | null;
  input?: string | null;
  output?: string | null;
  error?: string | null;
  cause?: string | null;
}

/** The ledger's record of an execution's end, or undefined while it has not ended. */
export function endedEntryOf(execution: EndedExecution): EndedEntry | undefined {
  const status = execution.status;
  if (!isTerminal(status)) return undefined;
  const stoppedAt = new Date(execution.stopDate ?? Date.now());
  const ending = {
    status,
    error: execution.error ?? undefined,
    cause: execution.cause ?? undefined,
  } as const;
  const created = createdOf(execution.output ?? undefined);
  const failure = failureOf(ending);
  const access = accessOfInput(execution.input);
  // A re-run's execution is named `<requestId>-k`: the input says whose it is.
  const requestId = requestIdOfInput(execution.input) ?? execution.name;
  return {
    requestId,
    executionArn: execution.executionArn,
    attempt: attemptOf(execution.name, requestId),
    status,
    startedAt: new Date(execution.startDate ?? stoppedAt.getTime()),
    stoppedAt,
    ...(access ? { access } : {}),
    ...(created ? { created } : {}),
    ...(failure ? { failure } : {}),
  };
}

/** The table's name, from the environment serverless.yml gives the functions that use it. */
export function ledgerTableFromEnv(env: NodeJS.ProcessEnv): string {
  const name = env[LEDGER_TABLE_ENV];
  if (!name) {
    throw new InvalidConfigurationError(
      `${LEDGER_TABLE_ENV} is not set (the ledger table's name, serverless.yml's ${LEDGER_RESOURCE})`,
    );
  }
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(name)) {
    throw new InvalidConfigurationError(`${LEDGER_TABLE_ENV} is not a DynamoDB table name: ${name}`);
  }
  return name;
}

/** What the notifier does with an execution's end: record it (a running execution records nothing). */
export async function recordEnd(
  ledger: Pick<RequestLedger, 'recordEnded'>,
  execution: EndedExecution,
): Promise<RecordResult> {
  const entry = endedEntryOf(execution);
  if (!entry) return { recorded: false, reason: `the execution is ${execution.status}, not ended` };
  return ledger.recordEnded(entry);
}
