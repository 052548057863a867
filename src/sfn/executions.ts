import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { isAwsError, toDomainError } from '../aws/errors.ts';

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

export interface ExecutionView {
  executionArn: string;
  name: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
}

export interface HistoryView {
  type: string;
  timestamp: Date;
  state?: string;
  error?: string;
  cause?: string;
}

export interface OnboardingExecutions {
  /** Idempotent by name: the same request again returns the same execution. */
  start(name: string, input: string): Promise<{ executionArn: string; startDate?: Date }>;
  describe(name: string): Promise<ExecutionView>;
  history(executionArn: string): Promise<HistoryView[]>;
}

export const executionArnOf = (stateMachineArn: string, name: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

export class SfnOnboardingExecutions implements OnboardingExecutions {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: string) {
    try {
      const out = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input }),
      );
      return { executionArn: out.executionArn ?? '', ...(out.startDate ? { startDate: out.startDate } : {}) };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || isAwsError(error, 'ExecutionAlreadyExists')) {
        throw new RequestIdConflictError(`request id ${name} was already used with a different request`);
      }
      throw toDomainError(error, `StartExecution ${name}`);
    }
  }

  async describe(name: string): Promise<ExecutionView> {
    const executionArn = executionArnOf(this.stateMachineArn, name);
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn,
        name,
        status: out.status ?? 'UNKNOWN',
        ...(out.startDate ? { startDate: out.startDate } : {}),
        ...(out.stopDate ? { stopDate: out.stopDate } : {}),
        ...(out.output ? { output: out.output } : {}),
        ...(out.error ? { error: out.error } : {}),
        ...(out.cause ? { cause: out.cause } : {}),
      };
    } catch (error) {
      if (isAwsError(error, 'ExecutionDoesNotExist'))
        throw new ExecutionNotFoundError(`no onboarding with request id ${name}`);
      throw toDomainError(error, `DescribeExecution ${name}`);
    }
  }

  async history(executionArn: string): Promise<HistoryView[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
      );
      events.push(...(out.events ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return events.map((e) => {
      const failed =
        e.lambdaFunctionFailedEventDetails ?? e.executionFailedEventDetails ?? e.taskFailedEventDetails;
      return {
        type: e.type ?? 'Unknown',
        timestamp: e.timestamp ?? new Date(0),
        ...(e.stateEnteredEventDetails?.name ? { state: e.stateEnteredEventDetails.name } : {}),
        ...(e.stateExitedEventDetails?.name ? { state: e.stateExitedEventDetails.name } : {}),
        ...(failed?.error ? { error: failed.error } : {}),
        ...(failed?.cause ? { cause: failed.cause } : {}),
      };
    });
  }
}
