import { GetGroupCommand, GetUserCommand } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type StackRunner, stackRunner, stackStepFunctions } from '../../src/local/onboarding.ts';
import type { ExecutionResult } from '../../src/local/runner.ts';
import type { Stack } from '../../src/local/stack.ts';
import { validateRequest } from '../../src/request.ts';
import { config, iamOf, openTestStack } from '../helpers/local-stack.ts';

let stack: Stack;
let runner: StackRunner;

beforeEach(async () => {
  stack = await openTestStack();
  runner = await stackRunner(stack, { retryDelayMs: 1 });
});

afterEach(async () => {
  await stack.close();
});

const request = (requestId: string, userName: string, extra: Record<string, unknown> = {}) =>
  validateRequest({ requestId, userName, group: 'sre', ...extra }, config);

const run = (r: ReturnType<typeof request>, onEvent?: Parameters<StackRunner['start']>[1]['onEvent']) =>
  runner.run(r, { name: r.requestId, ...(onEvent ? { onEvent } : {}) });

describe('concurrent onboardings', () => {
  it('lets exactly one of two tickets for the same user name win, and the loser leaves the winner alone', async () => {
    const [a, b] = await Promise.all([run(request('HR-1', 'grace')), run(request('HR-2', 'grace'))]);
    const results = [a, b] as ExecutionResult[];
    const winners = results.filter((r) => r.status === 'SUCCEEDED');
    const losers = results.filter((r) => r.status === 'FAILED');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]?.error).toBe('UserAlreadyExists');
    const user = await iamOf(stack).send(new GetUserCommand({ UserName: 'grace' }));
    const tag = user.User?.Tags?.find((t) => t.Key === 'onboarding:execution')?.Value;
    expect(tag).toBe(winners[0]?.executionArn);
    const members = await iamOf(stack).send(new GetGroupCommand({ GroupName: 'sre' }));
    expect(members.Users?.map((u) => u.UserName)).toEqual(['grace']);
  });

  it('starts one execution for the same ticket sent twice at once', async () => {
    const sfn = await stackStepFunctions(stack);
    const input = JSON.stringify(request('HR-7', 'ada'));
    const [first, second] = await Promise.all([
      Promise.resolve(sfn.startExecution({ stateMachineArn: sfn.stateMachineArn, name: 'HR-7', input })),
      Promise.resolve(sfn.startExecution({ stateMachineArn: sfn.stateMachineArn, name: 'HR-7', input })),
    ]);
    expect(second.executionArn).toBe(first.executionArn);
    expect(sfn.listExecutions({ stateMachineArn: sfn.stateMachineArn }).executions).toHaveLength(1);
    expect((await sfn.waitFor(first.executionArn)).status).toBe('SUCCEEDED');
    expect(() =>
      sfn.startExecution({
        stateMachineArn: sfn.stateMachineArn,
        name: 'HR-7',
        input: JSON.stringify(request('HR-7', 'bob')),
      }),
    ).toThrow(/Execution Already Exists/);
  });

  it('lets many onboardings into the same new group create it once and all join it', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => run(request(`HR-${i}`, `user-${i}`))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('SUCCEEDED'));
    const created = results.filter(
      (r) => (r.output as { created: { EnsureGroup: { created: boolean } } }).created.EnsureGroup.created,
    );
    expect(created).toHaveLength(1);
    const group = await iamOf(stack).send(new GetGroupCommand({ GroupName: 'sre' }));
    expect(group.Users).toHaveLength(8);
  });

  it('keeps the group others joined when the onboarding that created it rolls back', async () => {
    // Prepare: the creator stops before its service-linked role step (then denied) until the others,
    // started once it has created the group, have joined it: explicit hand-offs, no timing window.
    stack.emulator?.faults.add({
      action: 'CreateServiceLinkedRole',
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    });
    let groupCreated: () => void = () => undefined;
    const created = new Promise<void>((resolve) => (groupCreated = resolve));
    let othersJoined: () => void = () => undefined;
    const joined = new Promise<void>((resolve) => (othersJoined = resolve));
    const creatorRunner = await stackRunner(stack, {
      retryDelayMs: 1,
      beforeTask: async (state) => {
        if (state !== 'EnsureServiceLinkedRoles') return;
        groupCreated();
        await joined;
      },
    });
    const creatorRequest = request('HR-100', 'creator', {
      serviceLinkedRoles: ['elasticache.amazonaws.com'],
    });
    const creator = creatorRunner.run(creatorRequest, { name: creatorRequest.requestId });
    await created;
    // Act
    const others = await Promise.all(
      Array.from({ length: 4 }, (_, i) => run(request(`HR-${i}`, `member-${i}`))),
    );
    othersJoined();
    const failed = await creator;
    // Assess
    expect(others.map((r) => r.status)).toEqual(Array(4).fill('SUCCEEDED'));
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('AccessDenied');
    const cause = JSON.parse(failed.cause ?? '{}') as { kept: { step: string; detail: string }[] };
    expect(cause.kept).toEqual([
      expect.objectContaining({ step: 'UndoEnsureGroup', detail: expect.stringMatching(/kept/) }),
    ]);
    const group = await iamOf(stack).send(new GetGroupCommand({ GroupName: 'sre' }));
    expect(group.Users?.map((u) => u.UserName).sort()).toEqual([
      'member-0',
      'member-1',
      'member-2',
      'member-3',
    ]);
  });
});
