import type { SFNClient } from '@aws-sdk/client-sfn';
import type { AttemptSummary } from '../attempts.ts';
import type { ExecutionOutcome } from '../execution/outcome.ts';
import {
  ExecutionNotFoundError,
  RequestIdConflictError,
  SfnOnboardingExecutions,
} from '../sfn/executions.ts';

/**
 * The state machine as the HTTP API sees it, behind two domain verbs: start an onboarding (once per
 * request id, again only after a clean rollback), and tell how one is going. The handlers take these
 * interfaces; the SDK implementation below is the only place that knows Step Functions.
 */

export interface StartedOnboarding {
  executionArn: string;
  startDate?: Date;
  /** Which attempt of the request this is (absent: the first). */
  attempt?: number;
  /** False when the execution was already there (the same request again). */
  started?: boolean;
  previousAttempts?: AttemptSummary[];
}

export interface OnboardingStarter {
  /**
   * Idempotent by request id: the same request again answers the execution already there - unless it
   * rolled back cleanly, when a new attempt starts (`<requestId>-2`, ...). Another request: conflict.
   */
  start(requestId: string, input: string): Promise<StartedOnboarding>;
}

export interface OnboardingStatusReader {
  /** Status, step timeline and what was created; undefined when no onboarding has this request id. */
  status(requestId: string): Promise<ExecutionOutcome | undefined>;
}

export { canonicalJson } from '../canonical-json.ts';
export { RequestIdConflictError };

export class SfnOnboardings implements OnboardingStarter, OnboardingStatusReader {
  private readonly executions: SfnOnboardingExecutions;

  constructor(client: SFNClient, stateMachineArn: string) {
    this.executions = new SfnOnboardingExecutions(client, stateMachineArn);
  }

  start(requestId: string, input: string): Promise<StartedOnboarding> {
    return this.executions.start(requestId, input);
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
