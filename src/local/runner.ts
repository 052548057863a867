import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Context } from 'aws-lambda';
import { ExecutionAbortedError, type ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { type AslDefinition, bindTasks, loadAsl, type TaskBinding } from '../definition.ts';
import { installedVersion, provenBefore } from '../disk-cache.ts';
import { loadFunctionModule } from './function-modules.ts';
import type { TaskTokens } from './task-tokens.ts';

/**
 * Runs the real ASL with aws-local-stepfunctions, each Task state calling the real Lambda handler that
 * serverless.yml deploys for it, in-process, with a Lambda-like context and Lambda-like errors.
 */

export type TimelineEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'StateEntered'
  | 'StateExited'
  | 'StateFailed'
  | 'StateRetried'
  | 'StateCaught';

export interface TimelineEvent {
  type: TimelineEventType;
  at: number;
  state?: string;
  stateType?: string;
  /** The state's input (StateEntered) or output (StateExited), as the execution history records them. */
  data?: unknown;
  error?: string;
  cause?: string;
  attempt?: number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionResult {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  startedAt: number;
  stoppedAt: number;
  events: TimelineEvent[];
}

/** A Lambda that dies: before its work, or after it (the change is made but the answer is lost). */
export interface LambdaFault {
  state: string;
  when: 'before' | 'after';
  kind: 'crash' | 'timeout';
  /** How many invocations fail; the rest run normally. */
  count: number;
}

/** What a Task's handler module is built with: the stack's dependencies for that function. */
export type TaskDepsProvider = (functionKey: string) => unknown;

export interface LocalRunnerOptions {
  /**
   * The dependencies each function's handlers are built with (`make(deps)` of its functions/ module),
   * by function key: the local stack's own clients, one set per function.
   */
  depsFor: TaskDepsProvider;
  region?: string;
  accountId?: string;
  stateMachineName?: string;
  /** Awaited before each Task invocation: a test arranges the account between two states. */
  beforeTask?: (state: string, input: unknown) => Promise<void>;
  /** Replace every Retry interval with this many ms (tests); real backoff and jitter otherwise. */
  retryDelayMs?: number;
  lambdaFaults?: LambdaFault[];
  /** For experiments (the throughput benchmark): rewrite each Task's retriers before running. */
  retrierOverride?: (retrier: Record<string, unknown>, state: string) => Record<string, unknown>;
  /** Another state machine and its functions (tests of the runner itself); the project's by default. */
  machine?: { definition: AslDefinition; functions: Record<string, { handler: string }> };
}

export interface StartOptions {
  name: string;
  onEvent?: (event: TimelineEvent) => void;
  /**
   * Where callback Tasks (`.waitForTaskToken`) get their tokens and wait for their answers: the local
   * Step Functions API's, whose SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat answer them.
   */
  taskTokens?: TaskTokens;
}

/** Where the local definition carries a callback Task's TimeoutSecondsPath value (see resolvedDefinition). */
const LOCAL_TIMEOUT_KEY = 'LocalTimeoutSeconds';

/** The longest timer Node keeps (about 24.8 days); Step Functions' own default is longer. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export interface RunningExecution {
  executionArn: string;
  result: Promise<ExecutionResult>;
  abort: () => void;
}

type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

/** How Lambda reports a function error to Step Functions: errorType is the error's name. */
class LambdaFunctionError extends Error {
  constructor(name: string, message: string) {
    super(JSON.stringify({ errorType: name, errorMessage: message }));
    this.name = name;
  }
}

/**
 * The token's answer, or States.Timeout once `ms` have passed (TimeoutSecondsPath), as Step Functions
 * fails a callback Task. Waits longer than one Node timer can (~24.8 days) are chained.
 */
function timedOut<T>(answered: Promise<T>, ms: number, state: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    const deadline = Date.now() + ms;
    const arm = () => {
      const left = deadline - Date.now();
      if (left <= 0) {
        reject(new LambdaFunctionError('States.Timeout', `Task timed out (${state})`));
        return;
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_SECONDS * 1000));
    };
    arm();
  });
  return Promise.race([answered, expired]).finally(() => clearTimeout(timer));
}

export function executionArnFor(
  region: string,
  accountId: string,
  stateMachine: string,
  name: string,
): string {
  return `arn:aws:states:${region}:${accountId}:execution:${stateMachine}:${name}`;
}

const COMPILED = new Map<string, StateMachine>();

/** The validator aws-local-stepfunctions runs (its own copy of asl-validator) and its own version. */
let validator: string | undefined;
function validatorVersion(): string {
  if (!validator) {
    const entry = createRequire(import.meta.url).resolve('aws-local-stepfunctions');
    validator = `${installedVersion('aws-local-stepfunctions')} ${installedVersion('asl-validator', entry)}`;
  }
  return validator;
}

/**
 * The state machine for `definition`, built (and validated) once per process: every runner and
 * execution of the same definition shares it. Validated once per definition and validator, too: the
 * verdict is kept on disk (src/disk-cache.ts), so a CLI start does not pay the validator's schema
 * compilation (hundreds of milliseconds); an edited state machine is a new key, validated again.
 */
export function compiledMachine(definition: unknown): StateMachine {
  const key = JSON.stringify(definition);
  let machine = COMPILED.get(key);
  if (!machine) {
    const validation = { checkArn: true, checkPaths: true };
    const verdict = provenBefore('asl-valid', [validatorVersion(), JSON.stringify(validation), key]);
    machine = new StateMachine(definition as never, {
      validationOptions: verdict.proven ? { noValidate: true } : validation,
    });
    if (!verdict.proven) verdict.record();
    COMPILED.set(key, machine);
  }
  return machine;
}

/** The Lambda context a handler gets on AWS, as far as the handlers and the Powertools Logger use it. */
function lambdaContext(functionName: string, region: string, accountId: string): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, 30_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export class LocalRunner {
  private constructor(
    private readonly asl: AslDefinition,
    private readonly bindings: TaskBinding[],
    private readonly handlers: Map<string, LambdaHandler>,
    private readonly options: Required<
      Omit<LocalRunnerOptions, 'retryDelayMs' | 'lambdaFaults' | 'retrierOverride' | 'beforeTask' | 'machine'>
    > &
      Pick<LocalRunnerOptions, 'retryDelayMs' | 'lambdaFaults' | 'retrierOverride' | 'beforeTask'>,
  ) {}

  static async create(options: LocalRunnerOptions): Promise<LocalRunner> {
    const asl = options.machine?.definition ?? (await loadAsl());
    const bindings = await bindTasks(asl, options.machine?.functions);
    const handlers = new Map<string, LambdaHandler>();
    for (const b of bindings) {
      const mod = await loadFunctionModule(b.file);
      // Each functions/ module exports `make(deps)`, the factory its Lambda exports are built with.
      const make = mod.make;
      if (typeof make !== 'function')
        throw new Error(`${b.file} (state ${b.state}) does not export make(deps)`);
      const built = (make as (deps: () => unknown) => Record<string, unknown>)(() =>
        options.depsFor(b.functionKey),
      );
      const fn = built[b.exportName];
      if (typeof fn !== 'function')
        throw new Error(`${b.handler} (state ${b.state}): make(deps) has no handler "${b.exportName}"`);
      handlers.set(b.state, fn as LambdaHandler);
    }
    return new LocalRunner(asl, bindings, handlers, {
      depsFor: options.depsFor,
      region: options.region ?? 'us-east-1',
      accountId: options.accountId ?? '000000000000',
      stateMachineName: options.stateMachineName ?? 'iam-onboarding-local',
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.lambdaFaults ? { lambdaFaults: options.lambdaFaults.map((f) => ({ ...f })) } : {}),
      ...(options.retrierOverride ? { retrierOverride: options.retrierOverride } : {}),
      ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}),
    });
  }

  get stateMachineArn(): string {
    const { region, accountId, stateMachineName } = this.options;
    return `arn:aws:states:${region}:${accountId}:stateMachine:${stateMachineName}`;
  }

  get definition(): AslDefinition {
    return this.asl;
  }

  executionArn(name: string): string {
    const { region, accountId, stateMachineName } = this.options;
    return executionArnFor(region, accountId, stateMachineName, name);
  }

  /**
   * The definition as the interpreter sees it: Fn::GetAtt resolved to the function ARN, as
   * CloudFormation does, and each Task's retriers rewritten where an experiment asks for it.
   */
  private resolvedDefinition(): AslDefinition {
    const { region, accountId, stateMachineName, retrierOverride } = this.options;
    const states: AslDefinition['States'] = {};
    for (const [name, state] of Object.entries(this.asl.States)) {
      const binding = this.bindings.find((b) => b.state === name);
      if (!binding) {
        states[name] = state;
        continue;
      }
      const retry = state.Retry as Record<string, unknown>[] | undefined;
      const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${stateMachineName}-${binding.functionKey}`;
      states[name] = {
        ...state,
        ...(binding.waitForTaskToken
          ? {
              // The Resource stays the callback pattern's; its function is named as deployed.
              Parameters: {
                ...(state.Parameters as Record<string, unknown>),
                FunctionName: functionArn,
                // Step Functions reads TimeoutSecondsPath from the state input. The value is carried over
                // from the input under a key of its own, beside the Payload (the only part the function is
                // invoked with), and the wait for the token times out on it (see invoke): the
                // interpreter's own timer would overflow past ~24.8 days (a grace period of 90) and fire at once.
                ...(typeof state.TimeoutSecondsPath === 'string'
                  ? { [`${LOCAL_TIMEOUT_KEY}.$`]: state.TimeoutSecondsPath }
                  : {}),
              },
              // The interpreter's own default is 60 s, and Node's timers overflow past ~24.8 days.
              TimeoutSeconds: Math.min(Number(state.TimeoutSeconds ?? MAX_TIMER_SECONDS), MAX_TIMER_SECONDS),
            }
          : { Resource: functionArn }),
        ...(retry && retrierOverride ? { Retry: retry.map((r) => retrierOverride({ ...r }, name)) } : {}),
      };
      // The wait's own timeout stands in for TimeoutSecondsPath (see invoke).
      if (binding.waitForTaskToken) delete states[name].TimeoutSecondsPath;
    }
    return {
      ...this.asl,
      States: states,
      // An execution's own timeout overflows Node's timers likewise; a local execution never lives that long.
      ...(this.asl.TimeoutSeconds !== undefined
        ? { TimeoutSeconds: Math.min(this.asl.TimeoutSeconds, MAX_TIMER_SECONDS) }
        : {}),
    };
  }

  private invoke(
    state: string,
    handler: LambdaHandler,
    functionName: string,
    entered: (state: string) => Promise<void>,
    callback?: { claimToken: () => string; tokens: () => TaskTokens; heartbeatSeconds?: number },
  ) {
    return async (input: unknown) => {
      // On AWS a state's entry is in the history before its task is invoked, and the tasks check that
      // history; the interpreter's event log lags its calls, so the call waits until the entry is out.
      await entered(state);
      const fault = this.options.lambdaFaults?.find((f) => f.state === state && f.count > 0);
      if (fault) fault.count--;
      const die = () => {
        if (fault?.kind === 'timeout')
          throw new LambdaFunctionError('States.Timeout', `Task timed out (${state})`);
        throw new LambdaFunctionError('Lambda.Unknown', `The Lambda runtime exited unexpectedly (${state})`);
      };
      if (fault?.when === 'before') die();
      await this.options.beforeTask?.(state, input);
      const context = lambdaContext(functionName, this.options.region, this.options.accountId);
      // A callback Task invokes its function with the Parameters' Payload (the token in it), then waits.
      const token = callback?.claimToken();
      const event = callback ? (input as { Payload?: unknown }).Payload : input;
      let output: unknown;
      try {
        output = await handler(structuredClone(event), context);
      } catch (error) {
        const e = error as Error;
        throw new LambdaFunctionError(e?.name || 'Error', e?.message ?? String(error));
      }
      if (fault?.when === 'after') die();
      if (callback && token) {
        const answered = callback.tokens().wait(token, {
          ...(callback.heartbeatSeconds !== undefined ? { heartbeatSeconds: callback.heartbeatSeconds } : {}),
        });
        const timeoutSeconds = (input as Record<string, unknown>)[LOCAL_TIMEOUT_KEY];
        const answer =
          typeof timeoutSeconds === 'number'
            ? await timedOut(answered, timeoutSeconds * 1000, state)
            : await answered;
        return JSON.parse(JSON.stringify(answer ?? null));
      }
      // What a Lambda returns travels as JSON: undefined fields vanish, dates become strings.
      return JSON.parse(JSON.stringify(output ?? null));
    };
  }

  private machine(): StateMachine {
    return compiledMachine(this.resolvedDefinition());
  }

  start(input: unknown, { name, onEvent, taskTokens }: StartOptions): RunningExecution {
    const executionArn = this.executionArn(name);
    // `$$.Task.Token`: one token per callback Task attempt, issued when its Parameters read it and
    // claimed by the invocation that follows (an execution runs one state at a time: no Parallel/Map).
    let issued: string | undefined;
    const tokens = () => {
      if (!taskTokens)
        throw new Error(
          `a .waitForTaskToken state needs the local Step Functions API to answer it (start ${name} through it)`,
        );
      return taskTokens;
    };
    const task = {
      get Token() {
        issued ??= tokens().issue(executionArn);
        return issued;
      },
    };
    const claimToken = () => {
      const token = issued ?? tokens().issue(executionArn);
      issued = undefined;
      return token;
    };
    const machine = this.machine();
    /** The state the execution entered last, as its event log has told so far. */
    let current: string | undefined;
    const waiting = new Map<string, (() => void)[]>();
    const entered = (state: string) =>
      current === state
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.set(state, [...(waiting.get(state) ?? []), resolve]));
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const b of this.bindings) {
      const handler = this.handlers.get(b.state);
      if (handler)
        taskResourceLocalHandlers[b.state] = this.invoke(
          b.state,
          handler,
          b.functionKey,
          entered,
          b.waitForTaskToken
            ? {
                claimToken,
                tokens,
                ...heartbeatOf(this.asl.States[b.state]?.HeartbeatSeconds),
              }
            : undefined,
        );
      if (this.options.retryDelayMs !== undefined)
        retryIntervalOverrides[b.state] = this.options.retryDelayMs;
    }
    const startedAt = Date.now();
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never, retryIntervalOverrides },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: input as never,
          StartTime: new Date(startedAt).toISOString(),
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.options.stateMachineName },
        Task: task,
      },
    });
    const events: TimelineEvent[] = [];
    const emit = (event: TimelineEvent) => {
      events.push(event);
      onEvent?.(event);
      // A callback Task that failed (timed out, say) or an execution that ended closes its open token.
      const closes =
        event.type === 'StateFailed' ||
        (event.type.startsWith('Execution') && event.type !== 'ExecutionStarted');
      if (closes) taskTokens?.closeExecution(executionArn);
      if (event.type === 'StateEntered' && event.state) {
        current = event.state;
        for (const resolve of waiting.get(event.state) ?? []) resolve();
        waiting.delete(event.state);
      }
    };
    const collecting = (async () => {
      for await (const log of execution.eventLogs) {
        const event = toTimelineEvent(log);
        if (event) emit(event);
      }
    })();

    const result = (async (): Promise<ExecutionResult> => {
      const base = { executionArn, name, input, startedAt, events };
      try {
        const output = await execution.result;
        await collecting;
        return { ...base, status: 'SUCCEEDED', output, stoppedAt: Date.now() };
      } catch (error) {
        await collecting.catch(() => undefined);
        if (error instanceof ExecutionAbortedError) {
          return { ...base, status: 'ABORTED', stoppedAt: Date.now() };
        }
        const failed = [...events].reverse().find((e) => e.type === 'ExecutionFailed');
        const cause = (error as ExecutionError & { cause?: { message?: string; name?: string } }).cause;
        return {
          ...base,
          status: 'FAILED',
          error: failed?.error ?? cause?.name ?? (error as Error).name,
          cause: failed?.cause ?? cause?.message ?? (error as Error).message,
          stoppedAt: Date.now(),
        };
      }
    })();
    return { executionArn, result, abort: () => execution.abort() };
  }

  async run(input: unknown, options: StartOptions): Promise<ExecutionResult> {
    return this.start(input, options).result;
  }
}

function heartbeatOf(value: unknown): { heartbeatSeconds?: number } {
  return typeof value === 'number' ? { heartbeatSeconds: value } : {};
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

type EventLog = Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value'] & {
  type: string;
};

function toTimelineEvent(log: EventLog): TimelineEvent | undefined {
  const at = log.timestamp;
  switch (log.type) {
    case 'ExecutionStarted':
      return { type: 'ExecutionStarted', at, data: log.input };
    case 'ExecutionSucceeded':
      return { type: 'ExecutionSucceeded', at, data: log.output };
    case 'ExecutionFailed':
      return { type: 'ExecutionFailed', at, error: log.Error, ...opt('cause', causeText(log.Cause)) };
    case 'ExecutionAborted':
    case 'ExecutionTimeout':
      return { type: 'ExecutionAborted', at };
    case 'StateEntered':
      return {
        type: 'StateEntered',
        at,
        state: log.state.name,
        stateType: log.state.type,
        data: log.state.input,
      };
    case 'StateExited':
      return {
        type: 'StateExited',
        at,
        state: log.state.name,
        stateType: log.state.type,
        data: log.state.output,
      };
    case 'StateFailed':
      return {
        type: 'StateFailed',
        at,
        state: log.state.name,
        stateType: log.state.type,
        error: log.Error,
        ...opt('cause', causeText(log.Cause)),
      };
    case 'StateRetried':
      return {
        type: 'StateRetried',
        at,
        state: log.state.name,
        stateType: log.state.type,
        attempt: log.retry.attempt,
      };
    case 'StateCaught':
      return { type: 'StateCaught', at, state: log.state.name, stateType: log.state.type };
    default:
      return undefined;
  }
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
