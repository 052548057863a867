import {
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as addUserToGroup from '../../functions/add-user-to-group.ts';
import * as attachGroupPolicies from '../../functions/attach-group-policies.ts';
import * as createAccessKey from '../../functions/create-access-key.ts';
import * as createUser from '../../functions/create-user.ts';
import * as plan from '../../functions/plan.ts';
import { boundaryArn } from '../../src/config.ts';
import { stackRunner, stackStepFunctions } from '../../src/local/onboarding.ts';
import type { Stack } from '../../src/local/stack.ts';
import type { Plan } from '../../src/plan.ts';
import { validateRequest } from '../../src/request.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { type AccountView, readAccount } from '../helpers/account.ts';
import { config, iamOf, onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';

/**
 * A Lambda can be invoked by anyone with lambda:InvokeFunction. These are the attacks a security
 * review carried out with forged events against the handlers; each must be refused with a clear error
 * and change nothing. The handlers are built exactly as the runner builds them, each with its own
 * function's clients.
 */

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const EC2_READ = 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess';

let stack: Stack;
let iam: IAMClient;

beforeEach(async () => {
  stack = await openTestStack();
  iam = iamOf(stack);
  // The stack's Step Functions API, as on AWS: it answers for every execution, run or not.
  await stackStepFunctions(stack);
});

afterEach(async () => {
  await stack.close();
});

const handlers = <M extends { make: (deps: () => never) => unknown }>(mod: M, fn: string) =>
  mod.make((() => stack.taskDeps(fn)) as () => never) as ReturnType<M['make']>;

const executionArn = (name: string) =>
  `${stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

function planFor(userName: string, group: string, policies: string[] = []): Plan {
  return {
    profile: { name: group, privileged: false, approval: 'not-needed', boundary: 'team-member' },
    user: {
      name: userName,
      path: config.userPath,
      permissionsBoundaryArn: boundaryArn(config, stack.runtimeConfig.iamArnPrefix, 'team-member'),
      create: true,
    },
    group: { name: group, path: config.groupPath, create: false, otherPolicies: [] },
    policies: policies.map((arn) => ({ arn, attach: true })),
    userPolicies: [],
    serviceLinkedRoles: [],
    loginProfile: { create: false },
    accessKey: {
      create: true,
      secretName: `${config.secretPrefix}${userName}/access-key`,
      delivery: 'secrets-manager' as const,
    },
  };
}

async function account(): Promise<AccountView> {
  return readAccount(iam, secretsOf(stack));
}

describe('a forged event', () => {
  it('cannot put an existing user without a boundary into a group that carries AdministratorAccess', async () => {
    // Prepare: someone's own user, and an allowed group name that an admin gave AdministratorAccess.
    await iam.send(new CreateUserCommand({ UserName: 'mallory' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'sre', Path: config.groupPath }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: ADMIN }));
    const before = await account();
    const request = validateRequest(
      {
        requestId: 'FAKE-1',
        userName: 'mallory',
        profile: 'sre',
        contact: { recipient: TEST_HIRE_RECIPIENT },
      },
      config,
    );
    // Act: an execution of this stack's state machine that never ran
    const forged = handlers(addUserToGroup, 'addUserToGroup').handler({
      request,
      plan: planFor('mallory', 'sre'),
      created: {},
      execution: executionArn('FAKE-1'),
    });
    // Assess
    await expect(forged).rejects.toMatchObject({
      name: 'ForgedInvocation',
      message: expect.stringContaining('there is no execution'),
    });
    expect(await account()).toEqual(before);
  });

  it('cannot attach an allowlisted policy to a group outside any onboarding', async () => {
    await iam.send(new CreateGroupCommand({ GroupName: 'support', Path: config.groupPath }));
    const before = await account();
    const request = validateRequest(
      {
        requestId: 'FAKE-2',
        userName: 'nobody',
        profile: 'support',
        contact: { recipient: TEST_HIRE_RECIPIENT },
      },
      config,
    );
    for (const execution of [
      executionArn('FAKE-2'),
      'arn:aws:states:us-east-1:000000000000:execution:another-state-machine:FAKE-2',
      'not-an-arn',
    ]) {
      await expect(
        handlers(attachGroupPolicies, 'attachGroupPolicies').handler({
          request,
          plan: planFor('nobody', 'support', [EC2_READ]),
          created: {},
          execution,
        }),
      ).rejects.toMatchObject({ name: 'ForgedInvocation' });
    }
    expect(await account()).toEqual(before);
  });

  it('cannot delete another onboarded user with his key and secret, whose execution ARN is guessable', async () => {
    // Prepare: the victim was onboarded; his execution's ARN is built from his ticket key.
    const victim = await onboard(stack, {
      requestId: 'HR-7',
      userName: 'victim',
      profile: 'data-engineers',
      contact: { recipient: TEST_HIRE_RECIPIENT },
    });
    expect(victim.status).toBe('SUCCEEDED');
    const before = await account();
    const request = validateRequest(
      {
        requestId: 'HR-7',
        userName: 'victim',
        profile: 'data-engineers',
        contact: { recipient: TEST_HIRE_RECIPIENT },
      },
      config,
    );
    const event = {
      request,
      plan: planFor('victim', 'data-engineers'),
      created: {},
      execution: victim.executionArn,
    };
    // Act
    // Both settle before either is asserted: a rejection with no handler yet is an unhandled one.
    const [keyUndo, userUndo] = await Promise.allSettled([
      handlers(createAccessKey, 'undoCreateAccessKey').undo(event),
      handlers(createUser, 'undoCreateUser').undo(event),
    ]);
    // Assess
    expect(keyUndo).toMatchObject({
      status: 'rejected',
      reason: { name: 'ForgedInvocation', message: expect.stringContaining('is SUCCEEDED, not running') },
    });
    expect(userUndo).toMatchObject({ status: 'rejected', reason: { name: 'ForgedInvocation' } });
    expect(await account()).toEqual(before);
    expect(before.users.victim?.keys).toBe(1);
    expect(Object.keys(before.secrets)).toEqual(['onboarding/victim/access-key']);
  });

  it('cannot act for a running execution at another state, nor with a plan other than its own', async () => {
    // Prepare: an execution held before CreateUser, so that it is running and its state known.
    let entered: () => void = () => undefined;
    const atCreateUser = new Promise<void>((resolve) => (entered = resolve));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const runner = await stackRunner(stack, {
      retryDelayMs: 1,
      beforeTask: async (state) => {
        if (state !== 'CreateUser') return;
        entered();
        await released;
      },
    });
    const request = validateRequest(
      {
        requestId: 'HR-8',
        userName: 'grace',
        profile: 'developers',
        contact: { recipient: TEST_HIRE_RECIPIENT },
      },
      config,
    );
    const running = runner.start(request, { name: request.requestId });
    await atCreateUser;
    const before = await account();
    const genuine = { request, created: {}, execution: running.executionArn };
    // Act + Assess: the undo of a state the execution is not in
    await expect(
      handlers(createUser, 'undoCreateUser').undo({ ...genuine, plan: planFor('grace', 'developers') }),
    ).rejects.toMatchObject({
      name: 'NotYetVisible',
      message: expect.stringContaining('is in state CreateUser'),
    });
    // ... the right state, with a plan the execution did not make (another user, and a boundary-less one)
    const forgedPlan = planFor('mallory', 'developers');
    forgedPlan.user.permissionsBoundaryArn = 'arn:aws:iam::000000000000:policy/nothing';
    await expect(
      handlers(createUser, 'createUser').handler({ ...genuine, plan: forgedPlan }),
    ).rejects.toMatchObject({
      name: 'ForgedInvocation',
      message: expect.stringContaining("the event's plan is not the one"),
    });
    // ... and the Plan task, as an oracle of the account, for an execution not at Plan
    await expect(
      handlers(plan, 'plan').handler({ request, execution: running.executionArn }),
    ).rejects.toMatchObject({ name: 'NotYetVisible' });
    expect(await account()).toEqual(before);
    release();
    expect((await running.result).status).toBe('SUCCEEDED');
  });
});
