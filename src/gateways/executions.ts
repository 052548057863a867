import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import { ForgedInvocationError, NotYetVisibleError } from '../errors.ts';

/**
 * Step Functions as a task's own check of who is calling it. A Lambda can be invoked by anyone who
 * holds lambda:InvokeFunction, so a task proves that its event is the one its execution produced: the
 * execution is a running execution of this stack's state machine, its current state is this task, and
 * the state's recorded input is what the event carries. These reads do not count against IAM's rate.
 */

export interface ExecutionVerifier {
  /**
   * The input the execution's current state was entered with, once proven that `executionArn` is a
   * running execution of this stack's state machine whose current state is `state`.
   */
  currentStateInput(executionArn: string, state: string): Promise<unknown>;
}

/** arn:<partition>:states:<region>:<account>:execution:<state machine name>:<execution name> */
const EXECUTION_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[\w-]{1,80}:[\w-]{1,80}$/;

export class SdkExecutionVerifier implements ExecutionVerifier {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async currentStateInput(executionArn: string, state: string): Promise<unknown> {
    const prefix = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
    if (!EXECUTION_ARN.test(executionArn) || !executionArn.startsWith(prefix)) {
      throw new ForgedInvocationError(
        `${state}: ${executionArn} is not an execution of this stack's state machine ${this.stateMachineArn}`,
      );
    }
    let described: DescribeExecutionCommandOutput;
    try {
      described = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if (isAwsError(error, 'ExecutionDoesNotExist')) {
        throw new ForgedInvocationError(`${state}: there is no execution ${executionArn}`);
      }
      throw toDomainError(error, `DescribeExecution ${executionArn}`);
    }
    if (described.stateMachineArn !== this.stateMachineArn) {
      throw new ForgedInvocationError(`${state}: ${executionArn} belongs to ${described.stateMachineArn}`);
    }
    if (described.status !== 'RUNNING') {
      throw new ForgedInvocationError(
        `${state}: execution ${executionArn} is ${described.status}, not running`,
      );
    }
    const current = await this.currentState(executionArn);
    if (current?.name !== state) {
      // The state machine enters a state before it invokes its task: a genuine call whose entry is not
      // listed yet is worth a retry; a call for a state the execution is not in is refused each time.
      throw new NotYetVisibleError(
        `${state}: execution ${executionArn} is in state ${current?.name ?? '(none)'}, not ${state}`,
      );
    }
    try {
      return JSON.parse(current.input ?? 'null') as unknown;
    } catch {
      throw new ForgedInvocationError(`${state}: the recorded input of ${executionArn} is not JSON`);
    }
  }

  /** The state the execution entered last and has not left: read from the newest events back. */
  private async currentState(executionArn: string): Promise<{ name: string; input?: string } | undefined> {
    let nextToken: string | undefined;
    const exited = new Set<string>();
    do {
      let events: HistoryEvent[];
      try {
        const out = await this.client.send(
          new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, nextToken }),
        );
        events = out.events ?? [];
        nextToken = out.nextToken;
      } catch (error) {
        throw toDomainError(error, `GetExecutionHistory ${executionArn}`);
      }
      for (const event of events) {
        const left = event.stateExitedEventDetails?.name;
        if (left) exited.add(left);
        const entered = event.stateEnteredEventDetails;
        if (entered?.name) {
          if (exited.has(entered.name)) return undefined;
          return { name: entered.name, ...(entered.input !== undefined ? { input: entered.input } : {}) };
        }
      }
    } while (nextToken);
    return undefined;
  }
}
