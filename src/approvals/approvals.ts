import type { OnboardingConfig } from '../config.ts';
import {
  ApprovalConflictError,
  ApprovalForbiddenError,
  ApprovalNotFoundError,
  ApprovalRequiredError,
  InvalidRequestError,
} from '../errors.ts';
import type { FailureCause } from '../rollback-report.ts';

/**
 * The approval gate of the privileged profiles. A privileged request's execution waits in AwaitApproval
 * (`.waitForTaskToken`) before anything is read or created; its Lambda stores the pending approval and
 * the task token in the ledger (`sk = APPROVAL`). An approver answers through the HTTP API or
 * `onboard approve`, both through `decideApproval`: one of the profile's approvers, never the requester,
 * and the first decision wins (a conditional write). Only then is the token used, server side. Plan
 * reads the decision again, so a task token answered by anyone else moves nothing forward.
 */

export const APPROVAL_STATE = 'AwaitApproval';
/** The error SendTaskFailure names for a denial: the Catch into the `Denied` Fail state matches it. */
export const APPROVAL_DENIED = 'ApprovalDenied';

/** The ledger calls of the approval gate (src/approvals/dynamodb.ts makes them). */
export const APPROVAL_CALLS = {
  /** AwaitApproval: the pending approval (a conditional write). */
  pending: 'dynamodb:UpdateItem',
  /** Plan and the approvers' entry points: the decision. */
  read: 'dynamodb:GetItem',
  /** The approvers' entry points: the decision (conditional), then the token's removal. */
  decide: 'dynamodb:UpdateItem',
} as const;

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';
export type Decision = 'approve' | 'deny';

/** The `APPROVAL` item as the domain sees it (src/approvals/dynamodb.ts stores it). */
export interface ApprovalRecord {
  requestId: string;
  executionArn: string;
  profile: string;
  /** The request's `requestedBy`: the one identity that may never approve it. */
  requester: string;
  approvers: string[];
  status: ApprovalStatus;
  requestedAt: string;
  expiresAt: string;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
}

/** The pending approval with its token: what only AwaitApproval writes and decideApproval reads. */
export interface PendingApproval
  extends Omit<ApprovalRecord, 'status' | 'decidedBy' | 'decidedAt' | 'reason'> {
  taskToken: string;
}

export type DecideResult =
  | { decided: true; record: ApprovalRecord; taskToken?: string }
  | { decided: false; record: ApprovalRecord | undefined };

/** The ledger's verbs for approvals. */
export interface ApprovalStore {
  /** The pending approval of this execution, replacing an earlier attempt's (a retried task, a re-run). */
  recordPending(pending: PendingApproval): Promise<void>;
  /** The record without its token: for Plan's check, the status and the approver. */
  get(requestId: string): Promise<ApprovalRecord | undefined>;
  /**
   * Writes the decision if the approval is still pending, of this execution and not expired at `now`
   * (one conditional write: the first decision wins), answering the token it held.
   */
  decide(
    requestId: string,
    executionArn: string,
    decision: { status: 'approved' | 'denied'; decidedBy: string; decidedAt: string; reason?: string },
    now: Date,
  ): Promise<DecideResult>;
  /** The same decider again: the token, if the decision has not been delivered yet. */
  undeliveredToken(requestId: string, executionArn: string, decidedBy: string): Promise<string | undefined>;
  /** The token was used (or is dead): it is removed; `expired` also marks an approval nobody can give now. */
  closeToken(requestId: string, executionArn: string, expired?: boolean): Promise<void>;
}

/** Step Functions' callback verbs, for the one token this gate holds. */
export interface TaskCallbacks {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** The token no longer answers (the task timed out, its execution stopped, or it was answered). */
export class TaskClosedError extends Error {
  override readonly name = 'TaskClosed' as const;
}

export interface ApprovalDecisionInput {
  requestId: string;
  approver: string;
  decision: Decision;
  reason?: string;
}

export interface ApprovalDeps {
  config: Pick<OnboardingConfig, 'profiles'>;
  store: ApprovalStore;
  callbacks: TaskCallbacks;
  now?: () => Date;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** What the ticket and the status may see of an approval: never the token. */
export interface ApprovalView {
  status: ApprovalStatus;
  approvers: string[];
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
}

export function approvalView(record: ApprovalRecord): ApprovalView {
  return {
    status: record.status,
    approvers: [...record.approvers],
    requestedBy: record.requester,
    requestedAt: record.requestedAt,
    expiresAt: record.expiresAt,
    ...(record.decidedBy ? { decidedBy: record.decidedBy } : {}),
    ...(record.decidedAt ? { decidedAt: record.decidedAt } : {}),
    ...(record.reason ? { reason: record.reason } : {}),
  };
}

/** The status with its approval (pending, who may approve, until when; then the decision), never the token. */
export function withApproval<O extends { executionArn: string }>(
  outcome: O,
  record: ApprovalRecord | undefined,
): O & { approval?: ReturnType<typeof approvalView> } {
  if (!record || record.executionArn !== outcome.executionArn) return outcome;
  return { ...outcome, approval: approvalView(record) };
}

const MAX_REASON = 1000;

/** The body of an approval, checked before anything is read: a clear error naming each field. */
export function parseDecision(requestId: string, body: unknown): ApprovalDecisionInput {
  const issues: { path: string; message: string }[] = [];
  const o =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (!o) issues.push({ path: '(body)', message: 'must be a JSON object {approver, decision, reason?}' });
  const extra = o ? Object.keys(o).filter((k) => !['approver', 'decision', 'reason'].includes(k)) : [];
  for (const k of extra)
    issues.push({ path: k, message: 'unknown field (expected approver, decision, reason)' });
  const approver = o?.approver;
  if (o && (typeof approver !== 'string' || !/^[^\s,;]{1,256}$/.test(approver))) {
    issues.push({
      path: 'approver',
      message: 'must be one identity (e.g. an e-mail address), 1-256 characters',
    });
  }
  const decision = o?.decision;
  if (o && decision !== 'approve' && decision !== 'deny') {
    issues.push({ path: 'decision', message: 'must be "approve" or "deny"' });
  }
  const reason = o?.reason;
  if (o && reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON)) {
    issues.push({ path: 'reason', message: `must be text of at most ${MAX_REASON} characters` });
  }
  if (issues.length > 0) {
    throw new InvalidRequestError(
      `invalid approval: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return {
    requestId,
    approver: approver as string,
    decision: decision as Decision,
    ...(typeof reason === 'string' && reason.trim() ? { reason: reason.trim() } : {}),
  };
}

/** The cause of a denial, in the rollback report's shape: nothing was created, so nothing rolled back. */
export function denialCause(record: ApprovalRecord, decidedBy: string, reason?: string): FailureCause {
  return {
    failedStep: APPROVAL_STATE,
    error: APPROVAL_DENIED,
    message: `request ${record.requestId} was denied by ${decidedBy}${reason ? `: ${reason}` : ''}; nothing was created`,
    rolledBack: [],
    kept: [],
    leftBehind: [],
  };
}

export interface DecisionOutcome {
  requestId: string;
  executionArn: string;
  approval: ApprovalView;
  /** False when this very decision had been taken already (a retry): nothing changed. */
  changed: boolean;
}

/**
 * The one rule of who may decide: one of the profile's approvers (as configured now), never the
 * requester. `decideApproval` applies it, and `onboard run --approve-as` before it starts anything.
 */
export function checkApprover(
  input: Pick<ApprovalDecisionInput, 'requestId' | 'approver'>,
  request: { profile: string; requester: string | undefined },
  approvers: readonly string[],
): void {
  if (request.requester === undefined || same(input.approver, request.requester)) {
    throw new ApprovalForbiddenError(
      `${input.approver} asked for request ${input.requestId} and cannot approve it: a privileged profile needs a second identity (${approvers.join(', ')})`,
    );
  }
  if (!approvers.some((a) => same(a, input.approver))) {
    throw new ApprovalForbiddenError(
      `${input.approver} is not an approver of profile "${request.profile}" (profiles.${request.profile}.approvers: ${approvers.join(', ') || 'none'})`,
    );
  }
}

/**
 * One approver's decision on a pending approval:
 * - 403 (ApprovalForbidden): the approver is the requester, or not on the profile's approvers;
 * - 404 (ApprovalNotFound): nothing waits for an approval under this request id;
 * - 409 (ApprovalConflict): decided already (by someone, or otherwise), or expired;
 * then the conditional write, and only then the task token's SendTaskSuccess / SendTaskFailure.
 */
export async function decideApproval(
  input: ApprovalDecisionInput,
  deps: ApprovalDeps,
): Promise<DecisionOutcome> {
  const now = deps.now?.() ?? new Date();
  const record = await deps.store.get(input.requestId);
  if (!record) {
    throw new ApprovalNotFoundError(`no approval waits for request ${input.requestId}`);
  }
  // Checked against the configuration now: an approver removed since the request was made may not decide.
  const profile = Object.hasOwn(deps.config.profiles, record.profile)
    ? deps.config.profiles[record.profile]
    : undefined;
  checkApprover(input, record, profile?.approvers ?? []);
  const status = input.decision === 'approve' ? 'approved' : 'denied';
  const view = (r: ApprovalRecord) => approvalView(r);
  if (record.status !== 'pending') {
    // The same decider repeating the same decision: deliver it if it never was (a crash in between).
    if (record.status === status && record.decidedBy && same(record.decidedBy, input.approver)) {
      const token = await deps.store.undeliveredToken(input.requestId, record.executionArn, record.decidedBy);
      if (token) await deliver(deps, record, token, status, record.decidedBy, record.reason);
      return {
        requestId: input.requestId,
        executionArn: record.executionArn,
        approval: view(record),
        changed: false,
      };
    }
    throw new ApprovalConflictError(
      record.status === 'expired'
        ? `the approval of request ${input.requestId} expired at ${record.expiresAt}; nothing was created (send the ticket again to ask anew)`
        : `request ${input.requestId} was ${record.status} already by ${record.decidedBy ?? 'someone'} at ${record.decidedAt ?? 'an earlier time'}: the first decision stands`,
    );
  }
  if (Date.parse(record.expiresAt) <= now.getTime()) {
    throw new ApprovalConflictError(
      `the approval of request ${input.requestId} expired at ${record.expiresAt}; nothing was created (send the ticket again to ask anew)`,
    );
  }
  const decidedAt = now.toISOString();
  const result = await deps.store.decide(
    input.requestId,
    record.executionArn,
    { status, decidedBy: input.approver, decidedAt, ...(input.reason ? { reason: input.reason } : {}) },
    now,
  );
  if (!result.decided) {
    const current = result.record;
    throw new ApprovalConflictError(
      current && current.status !== 'pending'
        ? `request ${input.requestId} was ${current.status} already by ${current.decidedBy ?? 'someone'}: the first decision stands`
        : `the approval of request ${input.requestId} changed while deciding (expired, or a new attempt): read its status and try again`,
    );
  }
  if (result.taskToken) {
    await deliver(deps, result.record, result.taskToken, status, input.approver, input.reason);
  }
  return {
    requestId: input.requestId,
    executionArn: result.record.executionArn,
    approval: view(result.record),
    changed: true,
  };
}

async function deliver(
  deps: ApprovalDeps,
  record: ApprovalRecord,
  token: string,
  status: 'approved' | 'denied',
  decidedBy: string,
  reason: string | undefined,
): Promise<void> {
  try {
    if (status === 'approved') {
      await deps.callbacks.succeed(token, { approvedBy: decidedBy, decidedAt: record.decidedAt ?? null });
    } else {
      await deps.callbacks.fail(
        token,
        APPROVAL_DENIED,
        JSON.stringify(denialCause(record, decidedBy, reason)),
      );
    }
  } catch (error) {
    if (error instanceof TaskClosedError) {
      // The execution no longer waits (its approval timed out, or it was stopped): nothing will be created.
      await deps.store.closeToken(record.requestId, record.executionArn, true);
      throw new ApprovalConflictError(
        `execution ${record.executionArn} no longer waits for an approval (it expired or was stopped); nothing was created`,
      );
    }
    throw error;
  }
  await deps.store.closeToken(record.requestId, record.executionArn);
}

/**
 * Plan's own check, before it reads the account: the ledger holds an approval of this execution, by one
 * of the profile's approvers who is not the requester. A task token answered without it (a forged
 * SendTaskSuccess) stops here, before any read or write.
 */
export async function checkApproved(
  request: { requestId: string; profile: string; requestedBy?: string | undefined },
  executionArn: string,
  config: Pick<OnboardingConfig, 'profiles'>,
  store: Pick<ApprovalStore, 'get'>,
): Promise<ApprovalRecord | undefined> {
  const profile = Object.hasOwn(config.profiles, request.profile)
    ? config.profiles[request.profile]
    : undefined;
  if (!profile?.privileged) return undefined;
  const record = await store.get(request.requestId);
  const refuse = (why: string) =>
    new ApprovalRequiredError(
      `request ${request.requestId}: profile "${request.profile}" is privileged and ${why}; nothing was read or created`,
    );
  if (!record || record.executionArn !== executionArn)
    throw refuse('the ledger holds no approval of this execution');
  if (record.status !== 'approved') throw refuse(`its approval is ${record.status}, not approved`);
  const by = record.decidedBy ?? '';
  if (!request.requestedBy || same(by, request.requestedBy) || same(by, record.requester)) {
    throw refuse(`it was approved by its own requester (${by})`);
  }
  if (!profile.approvers.some((a) => same(a, by))) throw refuse(`${by} is not one of its approvers`);
  return record;
}
