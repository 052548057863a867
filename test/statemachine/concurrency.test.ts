import {
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreateServiceLinkedRoleCommand,
  GetGroupCommand,
  GetUserCommand,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type StackRunner, stackRunner, stackStepFunctions } from '../../src/local/onboarding.ts';
import type { ExecutionResult } from '../../src/local/runner.ts';
import type { Stack } from '../../src/local/stack.ts';
import type { Plan } from '../../src/plan.ts';
import { validateRequest } from '../../src/request.ts';
import type { FailureCause } from '../../src/rollback-report.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { readAccount } from '../helpers/account.ts';
import { config, iamOf, openTestStack, secretsOf } from '../helpers/local-stack.ts';

let stack: Stack;
let runner: StackRunner;

beforeEach(async () => {
  stack = await openTestStack();
  runner = await stackRunner(stack, { retryDelayMs: 1 });
});

afterEach(async () => {
  await stack.close();
});

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const CW_READ = 'arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess';
const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';

/** Profile sre: group sre carrying ReadOnlyAccess and CloudWatchReadOnlyAccess. */
const request = (requestId: string, userName: string, extra: Record<string, unknown> = {}) =>
  validateRequest(
    { requestId, userName, profile: 'sre', contact: { recipient: TEST_HIRE_RECIPIENT }, ...extra },
    config,
  );

/** The profile's service-linked roles exist already: these tests are about the group. */
async function seedServiceLinkedRoles() {
  for (const service of config.profiles.sre?.serviceLinkedRoles ?? []) {
    await iamOf(stack).send(new CreateServiceLinkedRoleCommand({ AWSServiceName: service }));
  }
}

/** A ticket that fails for good at its last step (its function crashes on every attempt), then rolls back. */
const failsAtLastStep = {
  lambdaFaults: [{ state: 'CreateAccessKey', when: 'before' as const, kind: 'crash' as const, count: 100 }],
};

/** A hand-off between two executions: one waits at a state until the test lets it go on. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

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

  it('keeps the group others joined, with its policies, when the onboarding that created it rolls back', async () => {
    // Prepare: the creator stops after its group steps until the others, started once it has created
    // the group and attached its policies, have joined it (explicit hand-offs, no timing window); then
    // it fails for good at its last step.
    await seedServiceLinkedRoles();
    const attached = gate();
    const joined = gate();
    const creatorRunner = await stackRunner(stack, {
      retryDelayMs: 1,
      ...failsAtLastStep,
      beforeTask: async (state) => {
        if (state !== 'EnsureServiceLinkedRoles') return;
        attached.open();
        await joined.opened;
      },
    });
    const creatorRequest = request('HR-100', 'creator');
    const creator = creatorRunner.run(creatorRequest, { name: creatorRequest.requestId });
    await attached.opened;
    // Act
    const others = await Promise.all(
      Array.from({ length: 4 }, (_, i) => run(request(`HR-${i}`, `member-${i}`))),
    );
    joined.open();
    const failed = await creator;
    // Assess
    expect(others.map((r) => r.status)).toEqual(Array(4).fill('SUCCEEDED'));
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('Lambda.Unknown');
    const cause = JSON.parse(failed.cause ?? '{}') as FailureCause;
    expect(cause.leftBehind).toEqual([]);
    expect(cause.kept).toEqual([
      expect.objectContaining({
        step: 'UndoAttachGroupPolicies',
        detail: expect.stringMatching(/4 other member/),
      }),
      expect.objectContaining({ step: 'UndoEnsureGroup', detail: expect.stringMatching(/kept/) }),
    ]);
    const account = await readAccount(iamOf(stack), secretsOf(stack));
    expect(account.groups.sre).toEqual({
      members: ['member-0', 'member-1', 'member-2', 'member-3'],
      policies: [CW_READ, READ_ONLY].sort(),
    });
    expect(account.users.creator).toBeUndefined();
  });

  it('never takes from a ticket the drift repair it was told was already done, when the ticket that did it rolls back', async () => {
    // Prepare: the group exists, lacking one of its profile's policies (drift). The loser repairs it,
    // then waits; the winner plans after that ("already attached"), succeeds; then the loser fails.
    await seedServiceLinkedRoles();
    await iamOf(stack).send(new CreateGroupCommand({ GroupName: 'sre', Path: config.groupPath }));
    await iamOf(stack).send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: READ_ONLY }));
    const repaired = gate();
    const winnerDone = gate();
    const loserRunner = await stackRunner(stack, {
      retryDelayMs: 1,
      ...failsAtLastStep,
      beforeTask: async (state) => {
        if (state !== 'EnsureServiceLinkedRoles') return;
        repaired.open();
        await winnerDone.opened;
      },
    });
    const loserRequest = request('HR-200', 'loser');
    const loser = loserRunner.run(loserRequest, { name: loserRequest.requestId });
    await repaired.opened;
    // Act
    const winner = await run(request('HR-201', 'winner'));
    winnerDone.open();
    const lost = await loser;
    // Assess
    expect(winner.status).toBe('SUCCEEDED');
    const winnerPlan = (winner.output as { plan: Plan }).plan;
    expect(winnerPlan.policies).toEqual([
      { arn: READ_ONLY, attach: false },
      { arn: CW_READ, attach: false },
    ]);
    expect(lost.status).toBe('FAILED');
    const cause = JSON.parse(lost.cause ?? '{}') as FailureCause;
    expect(cause.leftBehind).toEqual([]);
    expect(cause.kept).toEqual([
      expect.objectContaining({
        step: 'UndoAttachGroupPolicies',
        detail: expect.stringMatching(/drift repair/),
      }),
    ]);
    // The whole account: the winner, in its group, with every policy of its profile; the loser gone.
    const account = await readAccount(iamOf(stack), secretsOf(stack));
    expect(Object.keys(account.users)).toEqual(['winner']);
    expect(account.users.winner?.groups).toEqual(['sre']);
    expect(account.groups).toEqual({ sre: { members: ['winner'], policies: [CW_READ, READ_ONLY].sort() } });
    // sre gives console sign-in only: no access key, so no secret.
    expect(Object.keys(account.secrets)).toEqual([]);
  });

  it('keeps what an admin attached to the group while an onboarding ran, when that onboarding rolls back', async () => {
    // Prepare: the group exists with drift; while the onboarding runs, an admin attaches the missing
    // profile policy by hand, and another one.
    await seedServiceLinkedRoles();
    const iam = iamOf(stack);
    await iam.send(new CreateGroupCommand({ GroupName: 'sre', Path: config.groupPath }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: READ_ONLY }));
    const runnerWithAdmin = await stackRunner(stack, {
      retryDelayMs: 1,
      ...failsAtLastStep,
      beforeTask: async (state) => {
        if (state !== 'AttachGroupPolicies') return;
        await iam.send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: CW_READ }));
        await iam.send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: S3_READ }));
      },
    });
    const r = request('HR-300', 'grace');
    // Act
    const result = await runnerWithAdmin.run(r, { name: r.requestId });
    // Assess
    expect(result.status).toBe('FAILED');
    expect((result.output as unknown) ?? null).toBeNull();
    const account = await readAccount(iam, secretsOf(stack));
    expect(account.users).toEqual({});
    expect(account.groups.sre).toEqual({ members: [], policies: [S3_READ, CW_READ, READ_ONLY].sort() });
  });

  it("keeps what an admin attached to a group this onboarding created, and detaches only the profile's", async () => {
    await seedServiceLinkedRoles();
    const iam = iamOf(stack);
    const runnerWithAdmin = await stackRunner(stack, {
      retryDelayMs: 1,
      ...failsAtLastStep,
      beforeTask: async (state) => {
        if (state !== 'EnsureServiceLinkedRoles') return;
        await iam.send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: S3_READ }));
      },
    });
    const r = request('HR-301', 'grace');
    const result = await runnerWithAdmin.run(r, { name: r.requestId });
    expect(result.status).toBe('FAILED');
    const cause = JSON.parse(result.cause ?? '{}') as FailureCause;
    expect(cause.leftBehind).toEqual([]);
    expect(cause.kept).toEqual([
      expect.objectContaining({ step: 'UndoEnsureGroup', detail: expect.stringMatching(/kept/) }),
    ]);
    const account = await readAccount(iam, secretsOf(stack));
    expect(account.groups.sre).toEqual({ members: [], policies: [S3_READ] });
  });
});
