import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  type AttemptSummary,
  type AttemptWalk,
  sameInput,
  summaryOfAttempt,
  walkAttempts,
} from '../attempts.ts';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import {
  type ExecutionDescription,
  type ExecutionOutcome,
  outcomeOf,
  statusOf,
} from '../execution/outcome.ts';

/**
 * The onboarding state machine through the Step Functions API - deployed, or `onboard serve`'s local one
 * (the same SDK client either way) - behind domain verbs: start an onboarding, read how it is going.
 */

export class RequestIdConflictError extends Error {
  override readonly name = 'RequestIdConflict' as const;
}

export class ExecutionNotFoundError extends Error {
  override readonly name = 'ExecutionNotFound' as const;
}

/** The state machine named by --state-machine-arn (or ONBOARDING_STATE_MACHINE_ARN) is not there. */
export class StateMachineNotFoundError extends Error {
  override readonly name = 'StateMachineDoesNotExist' as const;
}

const noSuchMachine = (arn: string) =>
  new StateMachineNotFoundError(
    `the state machine ${arn} does not exist: check --state-machine-arn or ONBOARDING_STATE_MACHINE_ARN (the deployed stack's StateMachineArn output, docs/deploy.md; or the ARN \`onboard serve\` prints)`,
  );

/** An onboarding's latest attempt, after a start: the one started, or the one already there. */
export interface StartedAttempt {
  executionArn: string;
  startDate?: Date;
  /** Which attempt of the request this execution is (1: named by the request id, k: `<id>-k`). */
  attempt: number;
  /** False when the request's latest execution was already there (running, succeeded, or not clean). */
  started: boolean;
  /** The request's earlier attempts, oldest first (each rolled back). */
  previousAttempts: AttemptSummary[];
}

export interface OnboardingExecutions {
  /**
   * Idempotent by request id: the same request again returns its latest execution - unless that one
   * rolled back cleanly, when a fresh attempt starts. Another request under the same id is refused.
   */
  start(requestId: string, input: string): Promise<StartedAttempt>;
  describe(name: string): Promise<ExecutionDescription>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  /** The latest attempt's status, step timeline, what was created or why it failed. */
  outcome(requestId: string): Promise<ExecutionOutcome>;
}

/** How many times a start walks again after losing a race for a name to another request's start. */
const START_RACES = 3;

export const executionArnOf = (stateMachineArn: string, name: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

export class SfnOnboardingExecutions implements OnboardingExecutions {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(requestId: string, input: string): Promise<StartedAttempt> {
    for (let race = 0; race < START_RACES; race++) {
      const walk = await this.attempts(requestId);
      const latest = walk.ours.at(-1);
      const previous = walk.ours.slice(0, -1).map((o) => summaryOfAttempt(o.attempt, o.execution));
      if (latest) {
        if (!sameInput(latest.execution.input, input)) {
          throw new RequestIdConflictError(
            `request id ${requestId} was already used with a different request`,
          );
        }
        // Running, succeeded, or left for a person (rollback incomplete, aborted, timed out): that one.
        if (statusOf(latest.execution) !== 'rolled back') {
          return {
            executionArn: latest.execution.executionArn,
            ...(latest.execution.startDate ? { startDate: latest.execution.startDate } : {}),
            attempt: latest.attempt,
            started: false,
            previousAttempts: previous,
          };
        }
      }
      const previousAttempts = walk.ours.map((o) => summaryOfAttempt(o.attempt, o.execution));
      try {
        const out = await this.client.send(
          new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: walk.next.name, input }),
        );
        return {
          executionArn: out.executionArn ?? executionArnOf(this.stateMachineArn, walk.next.name),
          // A running execution's own name and input again is answered as if it had started it.
          ...(out.startDate ? { startDate: out.startDate } : {}),
          attempt: walk.next.attempt,
          started: true,
          previousAttempts,
        };
      } catch (error) {
        if (!(error instanceof ExecutionAlreadyExists || isAwsError(error, 'ExecutionAlreadyExists'))) {
          if (isAwsError(error, 'StateMachineDoesNotExist')) throw noSuchMachine(this.stateMachineArn);
          throw toDomainError(error, `StartExecution ${walk.next.name}`);
        }
        // Another start took the name between the walk and this call: walk again and decide anew.
      }
    }
    throw toDomainError(
      Object.assign(new Error(`StartExecution ${requestId}: the name kept being taken by other starts`), {
        name: 'ConcurrentModification',
      }),
      `StartExecution ${requestId}`,
    );
  }

  /** The request's executions, walking its attempt names (src/attempts.ts). */
  attempts(requestId: string): Promise<AttemptWalk<ExecutionDescription & { name: string }>> {
    return walkAttempts(requestId, async (name) => {
      try {
        return { ...(await this.describe(name)), name };
      } catch (error) {
        if (error instanceof ExecutionNotFoundError) return undefined;
        throw error;
      }
    });
  }

  async describe(name: string): Promise<ExecutionDescription> {
    const executionArn = executionArnOf(this.stateMachineArn, name);
    let out: DescribeExecutionCommandOutput;
    try {
      out = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if (isAwsError(error, 'ExecutionDoesNotExist'))
        throw new ExecutionNotFoundError(`no onboarding with request id ${name}`);
      if (isAwsError(error, 'StateMachineDoesNotExist')) throw noSuchMachine(this.stateMachineArn);
      throw toDomainError(error, `DescribeExecution ${name}`);
    }
    // Always in the API's answer (the SDK types every field as optional): without them, nothing is known.
    if (!out.status || !out.startDate) {
      throw new Error(`DescribeExecution ${name} answered without a status or a start date`);
    }
    return {
      executionArn: out.executionArn ?? executionArn,
      name: out.name ?? name,
      input: out.input,
      status: out.status,
      startDate: out.startDate,
      stopDate: out.stopDate,
      output: out.output,
      error: out.error,
      cause: out.cause,
    };
  }

  async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
      );
      events.push(...(out.events ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return events;
  }

  async outcome(requestId: string): Promise<ExecutionOutcome> {
    const walk = await this.attempts(requestId);
    const latest = walk.ours.at(-1);
    if (!latest) throw new ExecutionNotFoundError(`no onboarding with request id ${requestId}`);
    const outcome = outcomeOf(latest.execution, await this.history(latest.execution.executionArn));
    if (latest.attempt === 1) return outcome;
    return {
      ...outcome,
      previousAttempts: walk.ours.slice(0, -1).map((o) => summaryOfAttempt(o.attempt, o.execution)),
    };
  }
}
