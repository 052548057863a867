import { AwsError } from '@iam-onboarding/aws-emulator';
import { describe, expect, it } from 'vitest';
import type { ExecutionResult, StartOptions, TimelineEvent } from '../../../src/local/runner.ts';
import {
  type ExecutionRunner,
  LocalStepFunctions,
  type StatusChangeEvent,
} from '../../../src/local/step-functions.ts';

/** The local Step Functions API over a scripted runner: its rules, without running the saga. */

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:iam-onboarding-local';

function scriptedRunner(
  script: (name: string) => { events: TimelineEvent[]; result: Partial<ExecutionResult> },
) {
  const gates = new Map<string, () => void>();
  const runner: ExecutionRunner = {
    stateMachineArn: MACHINE,
    definition: {
      States: {
        CreateUser: { Type: 'Task', Resource: { 'Fn::GetAtt': ['createUser', 'Arn'] } },
        Check: { Type: 'Choice' },
        Failed: { Type: 'Fail' },
      },
    },
    executionArn: (name) => `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`,
    start(input: unknown, { name, onEvent }: StartOptions) {
      const { events, result } = script(name);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      gates.set(name, release);
      let aborted = false;
      const done = gate.then((): ExecutionResult => {
        for (const e of events) onEvent?.(e);
        if (aborted) onEvent?.({ type: 'ExecutionAborted', at: 5 });
        return {
          executionArn: runner.executionArn(name),
          name,
          input,
          status: aborted ? 'ABORTED' : 'SUCCEEDED',
          startedAt: 0,
          stoppedAt: 9,
          events: [],
          ...(aborted ? {} : result),
        };
      });
      return {
        executionArn: runner.executionArn(name),
        result: done,
        abort: () => {
          aborted = true;
          release();
        },
      };
    },
  };
  return { runner, finish: (name: string) => gates.get(name)?.() };
}

const ok = () => ({
  events: [{ type: 'ExecutionStarted' as const, at: 0 }],
  result: { output: { ok: true } },
});

async function rejects(fn: () => unknown, code: string) {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AwsError);
    expect((error as AwsError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('the local Step Functions API', () => {
  it('is idempotent by name and input while running, refuses another input, and a closed name whatever the input', async () => {
    const { runner, finish } = scriptedRunner(ok);
    const sfn = new LocalStepFunctions(runner);
    const first = sfn.startExecution({ stateMachineArn: MACHINE, name: 'HR-1', input: '{"a":1}' });
    expect(sfn.startExecution({ stateMachineArn: MACHINE, name: 'HR-1', input: '{"a":1}' })).toEqual(first);
    await rejects(
      () => sfn.startExecution({ stateMachineArn: MACHINE, name: 'HR-1', input: '{"a":2}' }),
      'ExecutionAlreadyExists',
    );
    finish('HR-1');
    await sfn.waitFor(first.executionArn);
    await rejects(
      () => sfn.startExecution({ stateMachineArn: MACHINE, name: 'HR-1', input: '{"a":1}' }),
      'ExecutionAlreadyExists',
    );
    expect(sfn.list()).toHaveLength(1);
  });

  it('validates names, input, ARNs, filters and tokens as Step Functions does', async () => {
    const sfn = new LocalStepFunctions(scriptedRunner(ok).runner);
    for (const name of ['a b', 'a/b', 'tab\there', 'a*', 'x:y']) {
      await rejects(() => sfn.startExecution({ stateMachineArn: MACHINE, name, input: '{}' }), 'InvalidName');
    }
    for (const name of ['', 'x'.repeat(81), 42]) {
      await rejects(
        () => sfn.startExecution({ stateMachineArn: MACHINE, name, input: '{}' }),
        'ValidationException',
      );
    }
    await rejects(
      () => sfn.startExecution({ stateMachineArn: MACHINE, name: 'x', input: 'nope' }),
      'InvalidExecutionInput',
    );
    await rejects(
      () =>
        sfn.startExecution({ stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:other' }),
      'StateMachineDoesNotExist',
    );
    await rejects(() => sfn.startExecution({}), 'ValidationException');
    await rejects(() => sfn.describeExecution({ executionArn: 'nope' }), 'InvalidArn');
    await rejects(
      () =>
        sfn.describeExecution({
          executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:missing`,
        }),
      'ExecutionDoesNotExist',
    );
    await rejects(
      () => sfn.listExecutions({ stateMachineArn: MACHINE, statusFilter: 'DONE' }),
      'ValidationException',
    );
    await rejects(
      () => sfn.listExecutions({ stateMachineArn: MACHINE, nextToken: 'garbage' }),
      'InvalidToken',
    );
    // A name the project never uses but Step Functions allows.
    expect(
      sfn.startExecution({ stateMachineArn: MACHINE, name: 'ticket.42', input: '{}' }).executionArn,
    ).toMatch(/:ticket\.42$/);
  });

  it('emits the EventBridge status-change event at the start and at the end', async () => {
    const events: StatusChangeEvent[] = [];
    const { runner, finish } = scriptedRunner(ok);
    const sfn = new LocalStepFunctions(runner, (e) => events.push(e));
    const { executionArn } = sfn.startExecution({ stateMachineArn: MACHINE, name: 'HR-2', input: '{"x":1}' });
    finish('HR-2');
    await sfn.waitFor(executionArn);
    expect(events.map((e) => e.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(events[1]).toMatchObject({
      version: '0',
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: '123456789012',
      region: 'eu-west-1',
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: MACHINE,
        name: 'HR-2',
        input: '{"x":1}',
        inputDetails: { included: true },
        output: '{"ok":true}',
        error: null,
        cause: null,
        stopDate: 9,
      },
    });
    expect(events[1]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('writes Lambda, Choice and Fail events as AWS does, and a timeout as LambdaFunctionTimedOut', async () => {
    const script = () => ({
      events: [
        { type: 'ExecutionStarted', at: 1000 },
        { type: 'StateEntered', at: 1001, state: 'CreateUser', stateType: 'Task', data: { a: 1 } },
        {
          type: 'StateFailed',
          at: 1002,
          state: 'CreateUser',
          stateType: 'Task',
          error: 'States.Timeout',
          cause: 'slow',
        },
        { type: 'StateRetried', at: 1003, state: 'CreateUser', stateType: 'Task', attempt: 1 },
        {
          type: 'StateFailed',
          at: 1004,
          state: 'CreateUser',
          stateType: 'Task',
          error: 'AccessDenied',
          cause: 'no',
        },
        { type: 'StateCaught', at: 1004, state: 'CreateUser', stateType: 'Task' },
        { type: 'StateExited', at: 1005, state: 'CreateUser', stateType: 'Task', data: { failure: {} } },
        { type: 'StateEntered', at: 1006, state: 'Check', stateType: 'Choice', data: {} },
        { type: 'StateExited', at: 1006, state: 'Check', stateType: 'Choice', data: {} },
        { type: 'StateEntered', at: 1007, state: 'Failed', stateType: 'Fail', data: {} },
        { type: 'StateFailed', at: 1007, state: 'Failed', stateType: 'Fail', error: 'AccessDenied' },
        { type: 'ExecutionFailed', at: 1008, error: 'AccessDenied', cause: '{"failedStep":"CreateUser"}' },
      ] as TimelineEvent[],
      result: { status: 'FAILED' as const, error: 'AccessDenied', cause: '{"failedStep":"CreateUser"}' },
    });
    const { runner, finish } = scriptedRunner(script);
    const sfn = new LocalStepFunctions(runner);
    const { executionArn } = sfn.startExecution({ stateMachineArn: MACHINE, name: 'HR-3', input: '{}' });
    finish('HR-3');
    await sfn.waitFor(executionArn);
    const { events } = sfn.getExecutionHistory({ executionArn });
    expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'TaskStateEntered'],
      [3, 2, 'LambdaFunctionScheduled'],
      [4, 3, 'LambdaFunctionStarted'],
      [5, 4, 'LambdaFunctionTimedOut'],
      [6, 5, 'LambdaFunctionScheduled'],
      [7, 6, 'LambdaFunctionStarted'],
      [8, 7, 'LambdaFunctionFailed'],
      [9, 8, 'TaskStateExited'],
      [10, 9, 'ChoiceStateEntered'],
      [11, 10, 'ChoiceStateExited'],
      [12, 11, 'FailStateEntered'],
      [13, 12, 'ExecutionFailed'],
    ]);
    expect(events[0]?.timestamp).toBe(1);
    expect(events[2]).toMatchObject({
      lambdaFunctionScheduledEventDetails: {
        resource: 'arn:aws:lambda:eu-west-1:123456789012:function:iam-onboarding-local-createUser',
      },
    });
    expect(events[7]).toMatchObject({
      lambdaFunctionFailedEventDetails: { error: 'AccessDenied', cause: 'no' },
    });
    expect(events[12]).toMatchObject({ executionFailedEventDetails: { error: 'AccessDenied' } });
    expect(sfn.describeExecution({ executionArn })).toMatchObject({
      status: 'FAILED',
      error: 'AccessDenied',
    });

    const bare = sfn.getExecutionHistory({ executionArn, includeExecutionData: false }).events;
    expect(JSON.stringify(bare)).not.toContain('"input"');
    expect(JSON.stringify(bare)).not.toContain('"output"');
  });

  it('aborts running executions on close', async () => {
    const { runner } = scriptedRunner(ok);
    const sfn = new LocalStepFunctions(runner);
    const { executionArn } = sfn.startExecution({ stateMachineArn: MACHINE, name: 'HR-4', input: '{}' });
    await sfn.close();
    expect(sfn.describeExecution({ executionArn }).status).toBe('ABORTED');
  });
});
