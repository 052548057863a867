import { randomBytes } from 'node:crypto';
import { AwsError } from '@iam-onboarding/aws-emulator';

/**
 * The callback pattern (`.waitForTaskToken`) for the local Step Functions API: aws-local-stepfunctions
 * does not implement it, so the local runner asks this registry for a token when a state reads
 * `$$.Task.Token`, invokes the state's Lambda with the payload that carries it, and then waits here
 * until SendTaskSuccess, SendTaskFailure or a timeout closes the task - as Step Functions does:
 * - a token is opaque, one per task attempt, and closes once: a second answer, or an answer after the
 *   task timed out or its execution stopped, is `TaskTimedOut`; an unknown token `TaskDoesNotExist`;
 * - SendTaskHeartbeat restarts the `HeartbeatSeconds` clock; a task whose heartbeat lapses fails with
 *   `States.HeartbeatTimeout`, one that outlives `TimeoutSeconds` with `States.Timeout`;
 * - SendTaskFailure fails the task with the given error and cause (Catch and Retry see that name).
 */

interface OpenTask {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  /** Set once the task waits: its heartbeat clock. */
  heartbeat?: { seconds: number; timer?: NodeJS.Timeout };
  deadline?: NodeJS.Timeout;
  settled: Promise<unknown>;
}

/** An error as Step Functions reports a task's failure: the name is what Catch and Retry match. */
export class TaskFailedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const TOKEN = /^[A-Za-z0-9_-]{64,1024}$/;
const MAX_OUTPUT_BYTES = 256 * 1024;

export class TaskTokens {
  private readonly open = new Map<string, OpenTask>();
  /** Tokens whose task closed (answered, timed out, stopped): a late answer is TaskTimedOut. */
  private readonly closed = new Set<string>();

  /** A new token for a task attempt of this execution. */
  issue(executionArn: string): string {
    const token = randomBytes(96).toString('base64url');
    let resolve!: (output: unknown) => void;
    let reject!: (error: Error) => void;
    const settled = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be waiting yet (the task's Lambda runs first): keep an early failure from being unhandled.
    settled.catch(() => undefined);
    this.open.set(token, { executionArn, resolve, reject, settled });
    return token;
  }

  /**
   * Waits until the task is answered, or its clocks run out. `timeoutSeconds` is the state's
   * TimeoutSeconds (Step Functions' default for a callback task is a year: give one).
   */
  wait(token: string, clocks: { timeoutSeconds?: number; heartbeatSeconds?: number } = {}): Promise<unknown> {
    const task = this.open.get(token);
    if (!task)
      return Promise.reject(new TaskFailedError('States.Runtime', `task token ${token} is not open`));
    if (clocks.timeoutSeconds !== undefined) {
      task.deadline = setTimeout(
        () => this.close(token, new TaskFailedError('States.Timeout', 'The task timed out.')),
        clocks.timeoutSeconds * 1000,
      );
    }
    if (clocks.heartbeatSeconds !== undefined) {
      task.heartbeat = { seconds: clocks.heartbeatSeconds };
      this.beat(token, task);
    }
    return task.settled;
  }

  /** Closes every open task of an execution that stopped (its late answers are TaskTimedOut). */
  closeExecution(executionArn: string): void {
    for (const [token, task] of this.open) {
      if (task.executionArn === executionArn)
        this.close(token, new TaskFailedError('States.Runtime', 'The execution stopped.'));
    }
  }

  /** How many tasks wait for an answer (of one execution, or in all). */
  waiting(executionArn?: string): number {
    return [...this.open.values()].filter((t) => !executionArn || t.executionArn === executionArn).length;
  }

  sendTaskSuccess(body: Record<string, unknown>) {
    const token = this.check(body.taskToken);
    const output = body.output;
    if (typeof output !== 'string' || output.length === 0 || Buffer.byteLength(output) > MAX_OUTPUT_BYTES) {
      throw new AwsError(
        'ValidationException',
        "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length between 1 and 262144",
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new AwsError('InvalidOutput', 'Invalid State Machine Execution Output');
    }
    const task = this.task(token);
    this.settle(token, task);
    task.resolve(parsed);
    return {};
  }

  sendTaskFailure(body: Record<string, unknown>) {
    const token = this.check(body.taskToken);
    const error = optional(body, 'error', 256);
    const cause = optional(body, 'cause', 32_768);
    const task = this.task(token);
    this.settle(token, task);
    task.reject(new TaskFailedError(error ?? 'States.TaskFailed', cause ?? ''));
    return {};
  }

  sendTaskHeartbeat(body: Record<string, unknown>) {
    const token = this.check(body.taskToken);
    const task = this.task(token);
    if (task.heartbeat) this.beat(token, task);
    return {};
  }

  private beat(token: string, task: OpenTask) {
    if (!task.heartbeat) return;
    clearTimeout(task.heartbeat.timer);
    task.heartbeat.timer = setTimeout(
      () =>
        this.close(token, new TaskFailedError('States.HeartbeatTimeout', 'The task missed its heartbeat.')),
      task.heartbeat.seconds * 1000,
    );
  }

  private check(token: unknown): string {
    if (typeof token !== 'string' || token.length === 0) {
      throw new AwsError(
        'ValidationException',
        "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null",
      );
    }
    if (!TOKEN.test(token)) throw new AwsError('InvalidToken', 'Invalid token');
    return token;
  }

  private task(token: string): OpenTask {
    const task = this.open.get(token);
    if (task) return task;
    if (this.closed.has(token)) throw new AwsError('TaskTimedOut', 'Task Timed Out');
    throw new AwsError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  private settle(token: string, task: OpenTask) {
    clearTimeout(task.deadline);
    clearTimeout(task.heartbeat?.timer);
    this.open.delete(token);
    this.closed.add(token);
  }

  private close(token: string, error: Error) {
    const task = this.open.get(token);
    if (!task) return;
    this.settle(token, task);
    task.reject(error);
  }
}

function optional(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
  return value;
}
