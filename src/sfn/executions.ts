import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import { type ExecutionDescription, type ExecutionOutcome, outcomeOf } from '../execution/outcome.ts';

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

export interface OnboardingExecutions {
  /** Idempotent by name: the same request again returns the same execution. */
  start(name: string, input: string): Promise<{ executionArn: string; startDate?: Date }>;
  describe(name: string): Promise<ExecutionDescription>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  /** Status, step timeline, what was created or why it failed. */
  outcome(name: string): Promise<ExecutionOutcome>;
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
      if (isAwsError(error, 'StateMachineDoesNotExist')) throw noSuchMachine(this.stateMachineArn);
      throw toDomainError(error, `StartExecution ${name}`);
    }
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

  async outcome(name: string): Promise<ExecutionOutcome> {
    const execution = await this.describe(name);
    return outcomeOf(execution, await this.history(execution.executionArn));
  }
}
