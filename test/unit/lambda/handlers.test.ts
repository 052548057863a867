import { describe, expect, it } from 'vitest';
import { make as makeCreateUser } from '../../../functions/create-user.ts';
import type { ApprovalRecord } from '../../../src/approvals/approvals.ts';
import type { IamGateway } from '../../../src/gateways/iam.ts';
import type { SecretStore } from '../../../src/gateways/secrets.ts';
import { planHandler, validateRequestHandler } from '../../../src/lambda/handlers.ts';
import { planSchema } from '../../../src/plan.ts';
import { parseRequest } from '../../../src/request.ts';
import type { TaskDeps } from '../../../src/steps/types.ts';
import { TEST_HIRE_RECIPIENT } from '../../fixtures/hire-key.ts';
import { BOUNDARY, READ_ONLY, runtime } from '../fixtures.ts';

const CODECOMMIT = 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser';

const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:iam-onboarding-local:HR-1';
const request = parseRequest({
  requestId: 'HR-1',
  userName: 'grace',
  profile: 'developers',
  contact: { recipient: TEST_HIRE_RECIPIENT },
  policyArns: [CODECOMMIT],
});

/**
 * Deps whose IAM records every call and whose execution records say `recorded` is what the execution
 * holds for the state (null: the execution is not in that state).
 */
function fakeDeps(recorded: Record<string, unknown> | null, approval?: ApprovalRecord) {
  const calls: string[] = [];
  let built = 0;
  const record =
    (name: string, answer: unknown) =>
    async (...args: unknown[]) => {
      calls.push(`${name} ${JSON.stringify(args)}`);
      return answer;
    };
  const iam = {
    getUser: record('getUser', undefined),
    policyExists: record('policyExists', true),
    groupExists: record('groupExists', undefined),
    listAttachedGroupPolicies: record('listAttachedGroupPolicies', []),
    findServiceLinkedRole: record('findServiceLinkedRole', undefined),
    createUser: record('createUser', {
      created: true,
      value: {
        name: 'grace',
        arn: 'arn:aws:iam::000000000000:user/onboarded/grace',
        userId: 'AIDA1',
        path: '/onboarded/',
        tags: {},
      },
    }),
  } as Partial<IamGateway> as IamGateway;
  const deps: TaskDeps = {
    iam,
    secrets: { describeSecret: record('describeSecret', undefined) } as Partial<SecretStore> as SecretStore,
    executions: {
      currentStateInput: async (execution, state) => {
        calls.push(`currentStateInput ${execution} ${state}`);
        return recorded;
      },
    },
    config: runtime,
    approvals: {
      get: async (requestId: string) => {
        calls.push(`approval ${requestId}`);
        return approval;
      },
      recordPending: record('recordPending', undefined),
    },
  } as TaskDeps;
  return {
    provider: () => {
      built += 1;
      return deps;
    },
    calls,
    built: () => built,
  };
}

describe('ValidateRequest handler', () => {
  const validate = (stage: string | undefined, callbackUrl: string) =>
    validateRequestHandler(() => ({ config: { ...runtime, ...(stage ? { stage } : {}) } }))({
      input: { ...request, contact: { ...request.contact, callbackUrl } },
      execution: EXECUTION,
    });

  it("refuses a callback URL the stage would not call, naming the host and the stage's hosts", async () => {
    await expect(validate('prod', 'https://evil.example.net/hook')).rejects.toMatchObject({
      name: 'InvalidRequest',
      issues: [
        {
          path: 'contact.callbackUrl',
          message:
            'callback host evil.example.net is not allowed for stage prod: add it to api.callbackAllowedHosts.prod in config/onboarding.json (callback hosts allowed for stage prod: tickets.example.com)',
        },
      ],
    });
    await expect(validate('prod', 'http://127.0.0.1:8080/hook')).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringContaining('loopback address, allowed only on the local stack'),
    });
    await expect(validate('staging', 'https://tickets.example.com/hook')).rejects.toMatchObject({
      message: expect.stringContaining('(callback hosts allowed for stage staging: none)'),
    });
  });

  it('passes a callback URL the stage calls, and refuses to guess a stage it was not given', async () => {
    const state = await validate('prod', 'https://tickets.example.com/hook');
    expect(state).toMatchObject({
      request: { contact: { callbackUrl: 'https://tickets.example.com/hook' } },
    });
    await expect(validate(undefined, 'https://tickets.example.com/hook')).rejects.toMatchObject({
      name: 'InvalidConfiguration',
      message: expect.stringContaining('ONBOARDING_STAGE is not set'),
    });
  });
});

describe('Plan handler', () => {
  it('parses, proves the event is its execution own, and answers a plan its schema accepts', async () => {
    const deps = fakeDeps({ request });
    const plan = await planHandler(deps.provider)({ request, execution: EXECUTION });
    expect(planSchema.safeParse(plan).success).toBe(true);
    expect(deps.calls[0]).toBe(`currentStateInput ${EXECUTION} Plan`);
  });

  it('refuses a malformed event, naming the field, before building anything', async () => {
    const deps = fakeDeps({ request });
    await expect(
      planHandler(deps.provider)({ request: { ...request, userName: 3 }, execution: EXECUTION }),
    ).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringContaining('request.userName'),
    });
    expect(deps.built()).toBe(0);
    expect(deps.calls).toEqual([]);
  });

  it('refuses a request the execution did not record, and reads nothing from the account', async () => {
    const deps = fakeDeps({ request: { ...request, profile: 'sre' } });
    await expect(planHandler(deps.provider)({ request, execution: EXECUTION })).rejects.toMatchObject({
      name: 'ForgedInvocation',
      message: expect.stringContaining(EXECUTION),
    });
    expect(deps.calls).toEqual([`currentStateInput ${EXECUTION} Plan`]);
  });

  it('refuses an event for an execution that is not in this state', async () => {
    const deps = fakeDeps(null);
    await expect(planHandler(deps.provider)({ request, execution: EXECUTION })).rejects.toMatchObject({
      name: 'ForgedInvocation',
    });
    expect(deps.calls).toHaveLength(1);
  });

  it("re-checks a privileged request's approval in the ledger, whatever the task token said", async () => {
    const privileged = {
      ...request,
      profile: 'stepfunctions-admin',
      requestedBy: 'dave@example.com',
      contact: { recipient: TEST_HIRE_RECIPIENT },
      policyArns: [],
    };
    const approvalless = fakeDeps({ request: privileged });
    await expect(
      planHandler(approvalless.provider)({ request: privileged, execution: EXECUTION }),
    ).rejects.toMatchObject({ name: 'ApprovalRequired', message: /holds no approval of this execution/ });
    expect(approvalless.calls).toEqual([
      `currentStateInput ${EXECUTION} Plan`,
      `approval ${privileged.requestId}`,
    ]);

    const decided = (decidedBy: string, status: ApprovalRecord['status'] = 'approved'): ApprovalRecord => ({
      requestId: privileged.requestId,
      executionArn: EXECUTION,
      profile: 'stepfunctions-admin',
      requester: 'dave@example.com',
      approvers: ['alice@example.com', 'bob@example.com'],
      status,
      requestedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-04T00:00:00.000Z',
      decidedBy,
    });
    const plan = (record: ApprovalRecord) =>
      planHandler(fakeDeps({ request: privileged }, record).provider)({
        request: privileged,
        execution: EXECUTION,
      });
    await expect(plan(decided('bob@example.com', 'pending'))).rejects.toMatchObject({
      name: 'ApprovalRequired',
    });
    await expect(plan(decided('bob@example.com', 'denied'))).rejects.toMatchObject({
      name: 'ApprovalRequired',
    });
    await expect(plan(decided('dave@example.com'))).rejects.toMatchObject({ message: /its own requester/ });
    await expect(plan(decided('mallory@example.com'))).rejects.toMatchObject({
      message: /not one of its approvers/,
    });
    await expect(
      plan({ ...decided('bob@example.com'), executionArn: `${EXECUTION}-2` }),
    ).rejects.toMatchObject({
      name: 'ApprovalRequired',
    });
    await expect(plan(decided('bob@example.com'))).resolves.toMatchObject({
      profile: { name: 'stepfunctions-admin' },
    });
  });

  it('re-checks the allowlists even for a recorded request', async () => {
    const offList = { ...request, policyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] };
    const deps = fakeDeps({ request: offList });
    await expect(
      planHandler(deps.provider)({ request: offList, execution: EXECUTION }),
    ).rejects.toMatchObject({
      name: 'RequestNotAllowed',
    });
    expect(deps.calls).toEqual([`currentStateInput ${EXECUTION} Plan`]);
  });
});

describe('a step handler (CreateUser)', () => {
  const plan = {
    profile: {
      name: 'developers',
      privileged: false,
      approval: 'not-needed' as const,
      boundary: 'team-member',
    },
    user: { name: 'grace', path: '/onboarded/', permissionsBoundaryArn: BOUNDARY, create: true as const },
    group: { name: 'developers', path: '/onboarded/', create: true, otherPolicies: [] },
    policies: [{ arn: READ_ONLY, attach: true }],
    userPolicies: [{ arn: CODECOMMIT, reason: 'requested' as const }],
    serviceLinkedRoles: [],
    loginProfile: { create: false },
    accessKey: { create: false, secretName: 'onboarding/grace/access-key', delivery: 'recipient' as const },
  };
  const input = { request, plan, created: {}, execution: EXECUTION };

  it('refuses a forged plan (no boundary) and creates nobody', async () => {
    const forged = {
      ...input,
      plan: {
        ...plan,
        user: { ...plan.user, permissionsBoundaryArn: 'arn:aws:iam::000000000000:policy/other' },
      },
    };
    const deps = fakeDeps({ request, plan, created: {} });
    await expect(makeCreateUser(deps.provider).handler(forged)).rejects.toMatchObject({
      name: 'ForgedInvocation',
    });
    expect(deps.calls.filter((c) => c.startsWith('createUser'))).toEqual([]);
  });

  it('refuses an undo whose event claims something was created that the execution never recorded', async () => {
    const deps = fakeDeps({ request, plan, created: {} });
    const claimed = {
      ...input,
      created: {
        CreateUser: {
          userName: 'victim',
          userArn: 'arn:aws:iam::000000000000:user/onboarded/victim',
          adopted: false,
        },
      },
    };
    await expect(makeCreateUser(deps.provider).undo(claimed)).rejects.toMatchObject({
      name: 'ForgedInvocation',
    });
    expect(deps.calls.some((c) => c.startsWith('delete'))).toBe(false);
  });

  it('a genuine event creates the planned user under the planned boundary', async () => {
    const deps = fakeDeps({ request, plan, created: {} });
    await makeCreateUser(deps.provider).handler(input);
    const create = deps.calls.find((c) => c.startsWith('createUser'));
    expect(create).toContain('"grace"');
    expect(create).toContain(BOUNDARY);
  });
});
