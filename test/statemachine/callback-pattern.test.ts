import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../src/definition.ts';
import { LocalRunner } from '../../src/local/runner.ts';
import type { Stack } from '../../src/local/stack.ts';
import { LocalStepFunctions } from '../../src/local/step-functions.ts';
import type { CallbackDeps } from '../fixtures/callback-task.ts';
import { openTestStack } from '../helpers/local-stack.ts';

/**
 * The callback pattern (`arn:aws:states:::lambda:invoke.waitForTaskToken`) on the local stack: the
 * Task's function gets its Payload with `$$.Task.Token` in it, and the execution waits until
 * SendTaskSuccess / SendTaskFailure - through the real SFNClient - or a timeout answers it.
 */

const definition = (clocks: Record<string, number> = {}): AslDefinition => ({
  StartAt: 'Wait for an answer',
  States: {
    'Wait for an answer': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: { 'Fn::GetAtt': ['callbackTask', 'Arn'] },
        Payload: { 'token.$': '$$.Task.Token', 'ticket.$': '$.ticket' },
      },
      ResultPath: '$.answer',
      TimeoutSeconds: clocks.timeout ?? 300,
      ...(clocks.heartbeat ? { HeartbeatSeconds: clocks.heartbeat } : {}),
      Catch: [
        { ErrorEquals: ['Denied'], ResultPath: '$.why', Next: 'Denied' },
        { ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], ResultPath: '$.why', Next: 'Expired' },
      ],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Denied: { Type: 'Fail', Error: 'Denied', Cause: 'the approver said no' },
    Expired: { Type: 'Fail', Error: 'Expired', Cause: 'nobody answered in time' },
  },
});

let stack: Stack;
let sfn: SFNClient;
beforeAll(async () => {
  stack = await openTestStack();
  sfn = stack.clients('test').sfn;
});
afterAll(async () => {
  await stack.close();
});

/** An API of its own per test (one state machine each); its function records what it was sent. */
async function machine(clocks: Record<string, number> = {}, failWith?: string) {
  const deps: CallbackDeps = { received: [], ...(failWith ? { failWith } : {}) };
  const runner = await LocalRunner.create({
    depsFor: () => deps,
    accountId: stack.accountId,
    region: stack.region,
    stateMachineName: stack.stateMachineArn.split(':').pop() ?? '',
    machine: {
      definition: definition(clocks),
      functions: { callbackTask: { handler: 'test/fixtures/callback-task.handler' } },
    },
  });
  const api = new LocalStepFunctions(runner);
  stack.hostStepFunctions(api.asJsonService());
  let n = 0;
  const start = (ticket: string) => {
    const { executionArn } = api.startExecution({
      stateMachineArn: runner.stateMachineArn,
      name: `callback-${++n}-${Date.now()}`,
      input: JSON.stringify({ ticket }),
    });
    return { executionArn, done: api.waitFor(executionArn) };
  };
  /** Resolves with the Payload once the function has been invoked: no polling window. */
  const invoked = async () => {
    while (deps.received.length === 0) await new Promise((r) => setImmediate(r));
    return deps.received[deps.received.length - 1] as { token: string; ticket: string };
  };
  return { api, start, invoked, deps };
}

describe('the callback pattern on the local Step Functions API', () => {
  it('invokes the function with its Payload and the token, and waits for SendTaskSuccess', async () => {
    const { api, start, invoked } = await machine();
    const { executionArn, done } = start('HR-1');
    const payload = await invoked();
    expect(payload.ticket).toBe('HR-1');
    expect(payload.token).toMatch(/^[A-Za-z0-9_-]{64,}$/);
    expect(api.taskTokens.waiting(executionArn)).toBe(1);

    await sfn.send(new SendTaskSuccessCommand({ taskToken: payload.token, output: '{"approvedBy":"bob"}' }));
    const result = await done;
    expect(result.status).toBe('SUCCEEDED');
    // The task's result is the answer, not what the function returned.
    expect(result.output).toEqual({ ticket: 'HR-1', answer: { approvedBy: 'bob' } });
    // A token answers once.
    const again = sfn.send(new SendTaskSuccessCommand({ taskToken: payload.token, output: '{}' }));
    await expect(again).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('fails the task with the error SendTaskFailure names, which Catch routes', async () => {
    const { start, invoked } = await machine();
    const { done } = start('HR-2');
    const { token } = await invoked();
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'Denied', cause: 'not this one' }));
    const result = await done;
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Denied');
  });

  it('times out a task nobody answers, and a late answer is TaskTimedOut', async () => {
    const { start, invoked } = await machine({ timeout: 1 });
    const { done } = start('HR-3');
    const { token } = await invoked();
    const result = await done;
    expect(result.error).toBe('Expired');
    expect(result.events.some((e) => e.type === 'StateFailed' && e.error === 'States.Timeout')).toBe(true);
    const late = sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await expect(late).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('fails a task whose heartbeat lapses; a heartbeat on an open task is accepted', async () => {
    const { start, invoked } = await machine({ heartbeat: 1 });
    const { done } = start('HR-4');
    const { token } = await invoked();
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }))).resolves.toBeDefined();
    const result = await done;
    expect(result.error).toBe('Expired');
    expect(result.events.some((e) => e.type === 'StateFailed' && e.error === 'States.HeartbeatTimeout')).toBe(
      true,
    );
  });

  it('closes the tokens of a stopped execution', async () => {
    const { api, start, invoked } = await machine();
    const { executionArn, done } = start('HR-5');
    const { token } = await invoked();
    api.stopExecution({ executionArn });
    expect((await done).status).toBe('ABORTED');
    expect(api.taskTokens.waiting(executionArn)).toBe(0);
    const late = sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await expect(late).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('refuses unknown and malformed tokens and output that is not JSON, as Step Functions does', async () => {
    const { start, invoked } = await machine();
    const { done, executionArn } = start('HR-6');
    const { token } = await invoked();
    const unknown = 'x'.repeat(96);
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: unknown, output: '{}' })),
    ).rejects.toMatchObject({
      name: 'TaskDoesNotExist',
    });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'short', output: '{}' })),
    ).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'yes' })),
    ).rejects.toMatchObject({
      name: 'InvalidOutput',
    });
    // A refused answer leaves the task open.
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '"ok"' }));
    expect((await done).status).toBe('SUCCEEDED');
    expect(executionArn).toContain(':execution:');
  });

  it('fails the task when its function fails, before any token is waited on', async () => {
    const { api, start } = await machine({}, 'the ticket system is down');
    const { done, executionArn } = start('HR-7');
    const result = await done;
    expect(result.status).toBe('FAILED');
    expect(result.cause).toContain('the ticket system is down');
    expect(api.taskTokens.waiting(executionArn)).toBe(0);
  });
});
