import { randomUUID } from 'node:crypto';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { JsonService } from '@iam-onboarding/aws-emulator';
import { AwsError } from '@iam-onboarding/aws-emulator';
import { descriptionOf, historyOf } from './history.ts';
import type {
  ExecutionResult,
  ExecutionStatus,
  RunningExecution,
  StartOptions,
  TimelineEvent,
} from './runner.ts';
import { TaskTokens } from './task-tokens.ts';

/**
 * A local Step Functions API over the local runner, in the awsJson1.0 protocol
 * (`X-Amz-Target: AWSStepFunctions.<Action>`), served on the emulator's port so that the real
 * SFNClient - and `onboard start`/`status`, and the HTTP API - talk to it as to AWS:
 * StartExecution, DescribeExecution, GetExecutionHistory, ListExecutions, StopExecution,
 * DescribeStateMachine, and the callback pattern's SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat (src/local/task-tokens.ts). Executions run concurrently, each through the same runner. Every status
 * change is emitted as the EventBridge event Step Functions sends.
 */

/** What this needs of the local runner (LocalRunner fits; tests may script one). */
export interface ExecutionRunner {
  readonly stateMachineArn: string;
  readonly definition: { States: Record<string, unknown> };
  executionArn(name: string): string;
  start(input: unknown, options: StartOptions): RunningExecution;
}

/** The EventBridge event "Step Functions Execution Status Change". */
export interface StatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate: number | null;
    input: string;
    inputDetails: { included: boolean };
    output: string | null;
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
  };
}

export interface LocalExecution {
  arn: string;
  /** The state machine it is an execution of. */
  machine: ExecutionRunner;
  name: string;
  input: string;
  startedAt: number;
  status: ExecutionStatus;
  events: TimelineEvent[];
  result?: ExecutionResult;
  /** What StopExecution was given. */
  stopped?: { error?: string; cause?: string };
  abort: () => void;
  done: Promise<ExecutionResult>;
}

/** Step Functions' rule for names (the project's request ids are a subset). */
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
function validName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || NAME_FORBIDDEN.test(name)) return false;
  // No control characters (U+0000-001F, U+007F-009F).
  return ![...name].some((c) => {
    const p = c.codePointAt(0) ?? 0;
    return p <= 0x1f || (p >= 0x7f && p <= 0x9f);
  });
}
const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);
const MAX_INPUT_BYTES = 256 * 1024;
const seconds = (ms: number) => ms / 1000;

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must be a string of at most ${max} characters`,
    );
  }
  return value;
}

function pageOf<T>(items: T[], body: Record<string, unknown>, defaultMax: number) {
  const max = body.maxResults;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 1000)) {
    throw new AwsError(
      'ValidationException',
      `Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
    );
  }
  const size = typeof max === 'number' && max > 0 ? max : defaultMax;
  let start = 0;
  if (body.nextToken !== undefined) {
    start =
      typeof body.nextToken === 'string' && /^\d{1,9}$/.test(body.nextToken) ? Number(body.nextToken) : -1;
    if (start < 0 || start > items.length) throw new AwsError('InvalidToken', 'Invalid Token');
  }
  const page = items.slice(start, start + size);
  return { page, ...(start + size < items.length ? { nextToken: String(start + size) } : {}) };
}

export class LocalStepFunctions {
  private readonly executions = new Map<string, LocalExecution>();
  private readonly createdAt = Date.now();
  private readonly region: string;
  private readonly accountId: string;

  private readonly listeners: ((event: StatusChangeEvent) => void)[] = [];
  /** The tokens of this API's callback Tasks. */
  readonly taskTokens = new TaskTokens();

  /** The state machines served, by ARN: the first is the stack's onboarding, then any other (offboarding). */
  private readonly machines = new Map<string, ExecutionRunner>();

  constructor(
    private readonly runner: ExecutionRunner,
    onStatusChange?: (event: StatusChangeEvent) => void,
  ) {
    const [, , , region = 'us-east-1', accountId = '000000000000'] = runner.stateMachineArn.split(':');
    this.region = region;
    this.accountId = accountId;
    this.machines.set(runner.stateMachineArn, runner);
    if (onStatusChange) this.listeners.push(onStatusChange);
  }

  /** Serves another state machine of the same account and region; the task tokens are shared, as on AWS. */
  addMachine(runner: ExecutionRunner): void {
    if (this.machines.has(runner.stateMachineArn)) {
      throw new Error(`${runner.stateMachineArn} is served already`);
    }
    this.machines.set(runner.stateMachineArn, runner);
  }

  /** Receives every status change from now on, as EventBridge would deliver it. */
  onStatusChange(listener: (event: StatusChangeEvent) => void): void {
    this.listeners.push(listener);
  }

  get stateMachineArn(): string {
    return this.runner.stateMachineArn;
  }

  private checkMachine(arn: unknown): ExecutionRunner {
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
      throw new AwsError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const machine = this.machines.get(arn);
    if (!machine) {
      throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
    return machine;
  }

  private get(arn: unknown): LocalExecution {
    if (typeof arn !== 'string' || !/^arn:aws[\w-]*:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
      throw new AwsError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const execution = this.executions.get(arn);
    if (!execution) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  /**
   * StartExecution. In-process callers may run this execution with a runner of their own (the same
   * state machine with test faults or hooks) and follow its events as they happen.
   */
  startExecution(
    body: Record<string, unknown>,
    local: { runner?: ExecutionRunner; onEvent?: (event: TimelineEvent) => void } = {},
  ) {
    const machine = this.checkMachine(requiredString(body, 'stateMachineArn'));
    const given = optionalString(body, 'name', 80);
    if (given === '') {
      throw new AwsError(
        'ValidationException',
        "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    const name = given ?? randomUUID();
    if (!validName(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const input = optionalString(body, 'input', MAX_INPUT_BYTES) ?? '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new AwsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: 'Unexpected input'`,
      );
    }
    const arn = machine.executionArn(name);
    const existing = this.executions.get(arn);
    if (existing) {
      // A Standard workflow: an open execution with the same input is answered as if just started;
      // a different input, or a closed execution whatever its input, is refused.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn: arn, startDate: seconds(existing.startedAt) };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const events: TimelineEvent[] = [];
    // Taken before the run starts: its first state must not seem to begin before the execution.
    const startedAt = Date.now();
    const runner = local.runner ?? machine;
    if (runner.stateMachineArn !== machine.stateMachineArn) {
      throw new Error(
        `a runner of ${runner.stateMachineArn} cannot run executions of ${machine.stateMachineArn}`,
      );
    }
    const running = runner.start(parsed, {
      name,
      taskTokens: this.taskTokens,
      onEvent: (e) => {
        events.push(e);
        local.onEvent?.(e);
      },
    });
    const execution: LocalExecution = {
      arn,
      machine,
      name,
      input,
      startedAt,
      status: 'RUNNING',
      events,
      abort: running.abort,
      done: running.result,
    };
    this.executions.set(arn, execution);
    this.emit(execution);
    running.result.then(
      (result) => {
        execution.result = result;
        execution.status = result.status;
        this.emit(execution);
      },
      (error: unknown) => {
        // The runner reports failures as results; a rejection is a bug in it - record it as one.
        const stoppedAt = Date.now();
        execution.result = {
          executionArn: arn,
          name,
          status: 'FAILED',
          input: parsed,
          error: 'States.Runtime',
          cause: `local runner: ${(error as Error)?.message ?? String(error)}`,
          startedAt: execution.startedAt,
          stoppedAt,
          events,
        };
        execution.status = 'FAILED';
        this.emit(execution);
      },
    );
    return { executionArn: arn, startDate: seconds(execution.startedAt) };
  }

  /** Resolves when the execution ends (tests, and `serve` on stop). */
  async waitFor(executionArn: string): Promise<ExecutionResult> {
    return this.get(executionArn).done;
  }

  list(): LocalExecution[] {
    return [...this.executions.values()];
  }

  describeExecution(body: Record<string, unknown>) {
    const e = this.get(body.executionArn);
    const { startDate, stopDate, output, ...described } = descriptionOf(e);
    return {
      ...described,
      stateMachineArn: e.machine.stateMachineArn,
      startDate: seconds(startDate.getTime()),
      ...(stopDate ? { stopDate: seconds(stopDate.getTime()) } : {}),
      input: e.input,
      inputDetails: { included: true },
      ...(output !== undefined ? { output, outputDetails: { included: true } } : {}),
      redriveCount: 0,
    };
  }

  getExecutionHistory(body: Record<string, unknown>) {
    const e = this.get(body.executionArn);
    let events = historyOf(e, {
      functionArnOf: (state) => this.functionArnOf(e.machine, state),
      roleArn: this.roleArnOf(e.machine),
    }).map(onTheWire);
    if (body.includeExecutionData === false) events = events.map(withoutData);
    if (body.reverseOrder === true) events = events.reverse();
    const { page, nextToken } = pageOf(events, body, 100);
    return { events: page, ...(nextToken ? { nextToken } : {}) };
  }

  listExecutions(body: Record<string, unknown>) {
    const machine = this.checkMachine(requiredString(body, 'stateMachineArn'));
    const filter = body.statusFilter;
    if (filter !== undefined && (typeof filter !== 'string' || !STATUSES.has(filter))) {
      throw new AwsError(
        'ValidationException',
        `Value '${String(filter)}' at 'statusFilter' failed to satisfy constraint`,
      );
    }
    const all = [...this.executions.values()]
      .filter((e) => e.machine === machine && (filter === undefined || e.status === filter))
      .sort((a, b) => b.startedAt - a.startedAt);
    const { page, nextToken } = pageOf(all, body, 100);
    return {
      executions: page.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: machine.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: seconds(e.startedAt),
        ...(e.result ? { stopDate: seconds(e.result.stoppedAt) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  stopExecution(body: Record<string, unknown>) {
    const e = this.get(body.executionArn);
    const error = optionalString(body, 'error', 256);
    const cause = optionalString(body, 'cause', 32_768);
    if (e.status === 'RUNNING') {
      e.stopped = { ...(error ? { error } : {}), ...(cause ? { cause } : {}) };
      e.abort();
    }
    return { stopDate: seconds(e.result?.stoppedAt ?? Date.now()) };
  }

  describeStateMachine(body: Record<string, unknown>) {
    const machine = this.checkMachine(requiredString(body, 'stateMachineArn'));
    return {
      stateMachineArn: machine.stateMachineArn,
      name: machine.stateMachineArn.split(':').pop(),
      status: 'ACTIVE',
      definition: JSON.stringify(machine.definition),
      roleArn: this.roleArnOf(machine),
      type: 'STANDARD',
      creationDate: seconds(this.createdAt),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  /** The awsJson1.0 service to register on the emulator. */
  asJsonService(): JsonService {
    return {
      targetPrefix: 'AWSStepFunctions',
      contentType: 'application/x-amz-json-1.0',
      actions: {
        StartExecution: (b) => this.startExecution(b),
        DescribeExecution: (b) => this.describeExecution(b),
        GetExecutionHistory: (b) => this.getExecutionHistory(b),
        ListExecutions: (b) => this.listExecutions(b),
        StopExecution: (b) => this.stopExecution(b),
        DescribeStateMachine: (b) => this.describeStateMachine(b),
        SendTaskSuccess: (b) => this.taskTokens.sendTaskSuccess(b),
        SendTaskFailure: (b) => this.taskTokens.sendTaskFailure(b),
        SendTaskHeartbeat: (b) => this.taskTokens.sendTaskHeartbeat(b),
      },
    };
  }

  /** Stops every running execution and waits for them all to end. */
  async close(): Promise<void> {
    for (const e of this.executions.values()) if (e.status === 'RUNNING') e.abort();
    await Promise.allSettled([...this.executions.values()].map((e) => e.done));
  }

  private roleArnOf(machine: ExecutionRunner): string {
    return `arn:aws:iam::${this.accountId}:role/${machine.stateMachineArn.split(':').pop()}-role`;
  }

  /** The ARN a Task's `Fn::GetAtt: [fn, Arn]` resolves to, named as the local runner names it. */
  private functionArnOf(runner: ExecutionRunner, state: string): string | undefined {
    const resource = (runner.definition.States[state] as { Resource?: unknown } | undefined)?.Resource;
    const fn = (resource as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt']?.[0];
    if (typeof resource === 'string') return resource;
    if (typeof fn !== 'string') return undefined;
    const machine = runner.stateMachineArn.split(':').pop();
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${machine}-${fn}`;
  }

  private emit(e: LocalExecution): void {
    const r = e.result;
    const error = r?.error ?? e.stopped?.error ?? null;
    const cause = r?.cause ?? e.stopped?.cause ?? null;
    const succeeded = r?.status === 'SUCCEEDED';
    const change: StatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [e.arn],
      detail: {
        executionArn: e.arn,
        stateMachineArn: e.machine.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startedAt,
        stopDate: r ? r.stoppedAt : null,
        input: e.input,
        inputDetails: { included: true },
        output: succeeded ? JSON.stringify(r.output ?? null) : null,
        outputDetails: succeeded ? { included: true } : null,
        error,
        cause,
      },
    };
    for (const listener of this.listeners) listener(change);
  }
}

/** As awsJson1.0 sends a history event: the timestamp in epoch seconds. */
function onTheWire(event: HistoryEvent): Record<string, unknown> {
  return { ...event, timestamp: seconds(event.timestamp?.getTime() ?? 0) };
}

/** `includeExecutionData: false`: the events without inputs and outputs. */
function withoutData(event: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') {
      const { input: _i, output: _o, ...rest } = value as Record<string, unknown>;
      out[key] = rest;
    } else out[key] = value;
  }
  return out;
}
