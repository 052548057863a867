import type { ExecutionStatus, HistoryEvent } from '@aws-sdk/client-sfn';
import { type AttemptSummary, attemptOf, requestIdOfInput } from '../attempts.ts';
import { type FailureCause, messageOf } from '../rollback-report.ts';
import type { AddUserToGroupResult } from '../steps/add-user-to-group.ts';
import type { AttachGroupPoliciesResult } from '../steps/attach-group-policies.ts';
import type { AttachUserPoliciesResult } from '../steps/attach-user-policies.ts';
import type { CreateAccessKeyResult } from '../steps/create-access-key.ts';
import type { CreateUserResult } from '../steps/create-user.ts';
import type { EnsureGroupResult } from '../steps/ensure-group.ts';
import type { EnsureServiceLinkedRolesResult } from '../steps/ensure-service-linked-roles.ts';
import { type TimelineStep, timelineOf } from './timeline.ts';

/**
 * How an onboarding went, in the words a ticket wants, from Step Functions' own description of the
 * execution (DescribeExecution) and its history (GetExecutionHistory). The one reading of an execution:
 * `onboard run --json`, `onboard status --json` and `GET /onboardings/{requestId}` answer this shape,
 * the completion callback all of it but the timeline (docs/ticketing.md).
 */

/**
 * DescribeExecution's fields that tell how an execution went, under its own names and types (the SDK
 * types every field as possibly undefined; the API always returns these three).
 */
export interface ExecutionDescription {
  executionArn: string;
  status: ExecutionStatus;
  startDate: Date;
  name?: string | undefined;
  /** The execution's input: the validated request, which carries its requestId. */
  input?: string | undefined;
  stopDate?: Date | undefined;
  output?: string | undefined;
  error?: string | undefined;
  cause?: string | undefined;
}

export type OnboardingStatus =
  | 'running'
  | 'succeeded'
  | 'rolled back'
  | 'rollback incomplete'
  | 'aborted'
  | 'timed out';

/** Our own rollback report (the execution's cause), or the error of an end that wrote none. */
export type Failure = FailureCause | { error: string; message: string };

/** The execution output's `created`: each step's result, references only (never a secret). */
export interface CreatedResources {
  CreateUser?: CreateUserResult;
  EnsureGroup?: EnsureGroupResult;
  AddUserToGroup?: AddUserToGroupResult;
  AttachGroupPolicies?: AttachGroupPoliciesResult;
  AttachUserPolicies?: AttachUserPoliciesResult;
  EnsureServiceLinkedRoles?: EnsureServiceLinkedRolesResult;
  CreateAccessKey?: CreateAccessKeyResult;
}

export interface ExecutionOutcome {
  requestId: string;
  executionArn: string;
  status: OnboardingStatus;
  startedAt: string;
  stoppedAt?: string;
  durationMs?: number;
  timeline: TimelineStep[];
  created?: CreatedResources;
  failure?: Failure;
  /** Which attempt of the request this is, when not the first (a re-run of a rolled-back ticket). */
  attempt?: number;
  /** The earlier attempts, oldest first: each rolled back, so the ticket was sent again. */
  previousAttempts?: AttemptSummary[];
}

/** What the completion callback carries: the outcome without the timeline (the event has no history). */
export type OutcomeSummary = Omit<ExecutionOutcome, 'timeline'>;

/** The cause our ReportRollback writes (JSON: failedStep, error, message, rolledBack, kept, leftBehind). */
export function parseCause(cause: string | undefined): FailureCause | undefined {
  if (!cause) return undefined;
  try {
    const value = JSON.parse(cause) as Partial<FailureCause> | null;
    if (
      value &&
      typeof value === 'object' &&
      typeof value.failedStep === 'string' &&
      typeof value.error === 'string' &&
      Array.isArray(value.rolledBack) &&
      Array.isArray(value.kept) &&
      Array.isArray(value.leftBehind)
    ) {
      return value as FailureCause;
    }
  } catch {
    // not JSON: not our report
  }
  return undefined;
}

type Ending = Pick<ExecutionDescription, 'status' | 'error' | 'cause'>;

export function statusOf(execution: Ending): OnboardingStatus {
  switch (execution.status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return 'running';
    case 'SUCCEEDED':
      return 'succeeded';
    case 'ABORTED':
      return 'aborted';
    case 'TIMED_OUT':
      return 'timed out';
    default: {
      const report = parseCause(execution.cause);
      // Without our report nothing proves the rollback ran to its end (ReportRollback itself failed,
      // or a runtime error nothing catches): a person must look, as for a rollback that left something.
      if (!report || execution.error === 'RollbackIncomplete' || report.leftBehind.length > 0) {
        return 'rollback incomplete';
      }
      return 'rolled back';
    }
  }
}

/** No Catch runs when an execution is stopped or times out: nothing inside it rolled anything back. */
const NO_ROLLBACK: Partial<Record<string, { error: string; message: string }>> = {
  ABORTED: {
    error: 'ExecutionAborted',
    message: 'the execution was stopped before it ended; no rollback ran',
  },
  TIMED_OUT: {
    error: 'States.Timeout',
    message: 'the execution ran out of time before it ended; no rollback ran',
  },
};

export function failureOf(execution: Ending): Failure | undefined {
  if (execution.status === 'SUCCEEDED' || execution.status === 'RUNNING') return undefined;
  if (execution.status === 'PENDING_REDRIVE') return undefined;
  const report = parseCause(execution.cause);
  if (report) return report;
  const fallback = NO_ROLLBACK[execution.status] ?? { error: 'UnknownError', message: '' };
  const message = messageOf(execution.cause);
  return { error: execution.error || fallback.error, message: message || fallback.message };
}

export function createdOf(output: string | undefined): CreatedResources | undefined {
  if (!output) return undefined;
  try {
    const created = (JSON.parse(output) as { created?: unknown } | null)?.created;
    return created && typeof created === 'object' ? (created as CreatedResources) : undefined;
  } catch {
    return undefined;
  }
}

/** The request's id from the input (a re-run's execution is named `<id>-k`), else the execution's name. */
const requestIdOf = (execution: Pick<ExecutionDescription, 'name' | 'executionArn' | 'input'>) =>
  requestIdOfInput(execution.input) ?? (execution.name || (execution.executionArn.split(':').pop() ?? ''));

export function summaryOf(execution: ExecutionDescription): OutcomeSummary {
  const created = createdOf(execution.output);
  const failure = failureOf(execution);
  const { startDate, stopDate } = execution;
  const requestId = requestIdOf(execution);
  const attempt = execution.name ? attemptOf(execution.name, requestId) : 1;
  return {
    requestId,
    executionArn: execution.executionArn,
    status: statusOf(execution),
    startedAt: startDate.toISOString(),
    ...(stopDate
      ? {
          stoppedAt: stopDate.toISOString(),
          durationMs: Math.max(0, stopDate.getTime() - startDate.getTime()),
        }
      : {}),
    ...(created ? { created } : {}),
    ...(failure ? { failure } : {}),
    ...(attempt > 1 ? { attempt } : {}),
  };
}

export function outcomeOf(
  execution: ExecutionDescription,
  history: Iterable<HistoryEvent>,
): ExecutionOutcome {
  const { created, failure, ...summary } = summaryOf(execution);
  return {
    ...summary,
    timeline: timelineOf(history),
    ...(created ? { created } : {}),
    ...(failure ? { failure } : {}),
  };
}
