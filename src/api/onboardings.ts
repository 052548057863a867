import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import type { ExecutionOutcome } from '../execution/outcome.ts';
import { ExecutionNotFoundError, executionArnOf, SfnOnboardingExecutions } from '../sfn/executions.ts';

/**
 * The state machine as the HTTP API sees it, behind two domain verbs: start an onboarding (once per
 * request id), and tell how one is going. The handlers take these interfaces; the SDK implementation
 * below is the only place that knows Step Functions.
 */

export interface StartedOnboarding {
  executionArn: string;
  startDate?: Date;
}

export interface OnboardingStarter {
  /** Idempotent by request id: the same request again answers the execution already there. */
  start(requestId: string, input: string): Promise<StartedOnboarding>;
}

export interface OnboardingStatusReader {
  /** Status, step timeline and what was created; undefined when no onboarding has this request id. */
  status(requestId: string): Promise<ExecutionOutcome | undefined>;
}

/** The request id was used before, for a different request. */
export class RequestIdConflictError extends Error {
  override readonly name = 'RequestIdConflict' as const;
}

/** JSON with sorted keys: two encodings of the same request compare equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sameInput(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
}

export class SfnOnboardings implements OnboardingStarter, OnboardingStatusReader {
  private readonly executions: SfnOnboardingExecutions;

  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {
    this.executions = new SfnOnboardingExecutions(client, stateMachineArn);
  }

  async start(requestId: string, input: string): Promise<StartedOnboarding> {
    try {
      const out = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: requestId, input }),
      );
      return {
        executionArn: out.executionArn ?? executionArnOf(this.stateMachineArn, requestId),
        // A running execution's own name and input again is answered as if it had started it.
        ...(out.startDate ? { startDate: out.startDate } : {}),
      };
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists || isAwsError(error, 'ExecutionAlreadyExists'))) {
        throw toDomainError(error, `StartExecution ${requestId}`);
      }
    }
    // A finished execution is "already exists" even for the same input: compare the inputs ourselves,
    // so that a ticketing tool's retry after the end still gets its execution, not a conflict.
    const executionArn = executionArnOf(this.stateMachineArn, requestId);
    let existing: { input?: string | undefined; startDate?: Date | undefined };
    try {
      existing = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      throw toDomainError(error, `DescribeExecution ${requestId}`);
    }
    if (!sameInput(existing.input, input)) {
      throw new RequestIdConflictError(`request id ${requestId} was already used with a different request`);
    }
    return { executionArn, ...(existing.startDate ? { startDate: existing.startDate } : {}) };
  }

  async status(requestId: string): Promise<ExecutionOutcome | undefined> {
    try {
      return await this.executions.outcome(requestId);
    } catch (error) {
      if (error instanceof ExecutionNotFoundError) return undefined;
      throw error;
    }
  }
}
