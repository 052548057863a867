import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import { type TaskCallbacks, TaskClosedError } from './approvals.ts';

/**
 * The callback verbs on Step Functions (the deployed service, or the local Step Functions API). IAM
 * authorizes SendTaskSuccess/SendTaskFailure on "*" only: the token is the capability, which is why it
 * never leaves the server side. Errors never carry the token.
 */

export const CALLBACK_CALLS = {
  succeed: 'states:SendTaskSuccess',
  fail: 'states:SendTaskFailure',
} as const;

/** The token answers nothing any more: the task timed out, was answered, or its execution stopped. */
const CLOSED = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (error) {
      throw this.mapped(error, 'SendTaskSuccess');
    }
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    try {
      await this.client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
    } catch (e) {
      throw this.mapped(e, 'SendTaskFailure');
    }
  }

  private mapped(error: unknown, what: string): Error {
    const closed = CLOSED.find((name) => isAwsError(error, name));
    if (closed) return new TaskClosedError(`${what}: the task no longer waits (${closed})`);
    return toDomainError(error, what);
  }
}
