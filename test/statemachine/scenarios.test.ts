import {
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  GetGroupCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { DescribeSecretCommand, GetResourcePolicyCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selfServicePolicyArn } from '../../src/config.ts';
import { logger } from '../../src/lambda/shared.ts';
import { stackRunner } from '../../src/local/onboarding.ts';
import { principalKeyId, type Stack } from '../../src/local/stack.ts';
import type { FailureCause } from '../../src/rollback-report.ts';
import { isRead, serviceOf, verbOf } from '../../src/steps/calls.ts';
import { SAGA_STEPS } from '../../src/steps/index.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import {
  config,
  iamOf,
  onboard,
  openTestStack,
  retriesOf,
  secretsOf,
  secretValue,
} from '../helpers/local-stack.ts';

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const CW_READ = 'arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess';
const EC2_READ = 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess';
const ELASTICACHE = 'elasticache.amazonaws.com';
const ECS = 'ecs.amazonaws.com';

const request = (over: Record<string, unknown> = {}) => ({
  requestId: 'HR-100',
  userName: 'grace',
  // The data-engineers profile: group data-engineers with S3 and CloudWatch reads, the ElastiCache and
  // ECS service-linked roles, an access key; ReadOnlyAccess is on its per-user allowlist.
  profile: 'data-engineers',
  contact: { recipient: TEST_HIRE_RECIPIENT },
  policyArns: [READ_ONLY],
  tags: { team: 'platform' },
  ...over,
});

let stack: Stack;
let iam: IAMClient;

beforeEach(async () => {
  stack = await openTestStack();
  iam = iamOf(stack);
});

afterEach(async () => {
  await stack.close();
});

/**
 * What existed before: the group "sre" carrying ReadOnlyAccess (its profile also names
 * CloudWatchReadOnlyAccess: drift), and the ECS service-linked role.
 */
async function seedExisting() {
  await iam.send(new CreateGroupCommand({ GroupName: 'sre', Path: config.groupPath }));
  await iam.send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: READ_ONLY }));
  await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: ECS }));
}

async function userExists(name: string): Promise<boolean> {
  try {
    await iam.send(new GetUserCommand({ UserName: name }));
    return true;
  } catch (error) {
    if ((error as Error).name.startsWith('NoSuchEntity')) return false;
    throw error;
  }
}

async function groupExists(name: string): Promise<boolean> {
  try {
    await iam.send(new GetGroupCommand({ GroupName: name }));
    return true;
  } catch (error) {
    if ((error as Error).name.startsWith('NoSuchEntity')) return false;
    throw error;
  }
}

async function attached(group: string): Promise<string[]> {
  const out = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: group }));
  return (out.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '').sort();
}

async function serviceRole(service: string) {
  const out = await iam.send(new ListRolesCommand({ PathPrefix: `/aws-service-role/${service}/` }));
  return out.Roles?.[0];
}

async function secretExists(name: string): Promise<boolean> {
  try {
    await secretsOf(stack).send(new DescribeSecretCommand({ SecretId: name }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

const causeOf = (cause: string | undefined) => JSON.parse(cause ?? '{}') as FailureCause;

describe('a successful onboarding', () => {
  it('creates everything requested, tagged with the request and the execution', async () => {
    // Prepare
    await seedExisting();
    // Act
    const result = await onboard(stack, request());
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const user = await iam.send(new GetUserCommand({ UserName: 'grace' }));
    expect(user.User?.Path).toBe('/onboarded/');
    expect(user.User?.PermissionsBoundary?.PermissionsBoundaryArn).toMatch(
      /:policy\/iam-onboarding\/iam-onboarding-team-member$/,
    );
    expect(user.User?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'onboarding:request-id', Value: 'HR-100' },
        { Key: 'onboarding:execution', Value: result.executionArn },
        { Key: 'team', Value: 'platform' },
      ]),
    );
    const groups = await iam.send(new ListGroupsForUserCommand({ UserName: 'grace' }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['data-engineers']);
    // The group carries the profile's policies; the request's extra one is on the user alone, beside
    // the self-service policy every user gets.
    expect(await attached('data-engineers')).toEqual([S3_READ, CW_READ].sort());
    const own = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'grace' }));
    expect(own.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([
      selfServicePolicyArn(stack.runtimeConfig, stack.runtimeConfig.iamArnPrefix),
      READ_ONLY,
    ]);
    expect((await serviceRole(ELASTICACHE))?.Description).toContain(result.executionArn);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'grace' }));
    expect(keys.AccessKeyMetadata).toHaveLength(1);
    const policy = await secretsOf(stack).send(
      new GetResourcePolicyCommand({ SecretId: 'onboarding/grace/access-key' }),
    );
    expect(policy.ResourcePolicy).toContain(user.User?.Arn);
  });

  it('uses an existing group as it is, attaching only its missing profile policy as drift repair', async () => {
    await seedExisting();
    const result = await onboard(
      stack,
      request({ profile: 'sre', contact: { recipient: TEST_HIRE_RECIPIENT }, policyArns: [EC2_READ] }),
    );
    expect(result.status).toBe('SUCCEEDED');
    const out = result.output as { created: Record<string, Record<string, unknown>> };
    expect(out.created.EnsureGroup).toEqual({ groupName: 'sre', created: false });
    expect(out.created.AttachGroupPolicies).toEqual({
      groupName: 'sre',
      attached: [CW_READ],
      driftRepair: true,
    });
    expect(await attached('sre')).toEqual([CW_READ, READ_ONLY].sort());
  });

  it('never lets the secret access key into the events, the output or the logs', async () => {
    // Prepare: capture every log line the handlers write
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    const originalLevel = logger.getLevelName();
    logger.setLogLevel('DEBUG');
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(String(chunk));
      return original(chunk as string, ...(rest as []));
    }) as typeof process.stdout.write;
    let result: Awaited<ReturnType<typeof onboard>>;
    try {
      // Act
      result = await onboard(stack, request());
    } finally {
      process.stdout.write = original;
      logger.setLogLevel(originalLevel);
    }
    // Assess
    const secret = JSON.parse(await secretValue(stack, 'onboarding/grace/access-key')) as {
      SecretAccessKey: string;
    };
    expect(secret.SecretAccessKey).toHaveLength(40);
    expect(written.join('')).toContain('CreateAccessKey done');
    for (const [where, text] of [
      ['events', JSON.stringify(result.events)],
      ['output', JSON.stringify(result.output)],
      ['logs', written.join('')],
    ] as const) {
      expect(text, where).not.toContain(secret.SecretAccessKey);
    }
  });
});

/** Every step's unconditional write, from the steps' own declarations: a new step is covered here too. */
const MUTATING_CALLS = SAGA_STEPS.flatMap((step) =>
  step.calls
    .filter((c) => !isRead(c.action) && !c.when)
    .map((c) => ({ action: verbOf(c.action), service: serviceOf(c.action), step: step.name })),
);

const denied = (action: string, service: string) => [
  { action, service, kind: 'error' as const, error: 'AccessDenied', count: 'always' as const },
];

describe('a permanent failure at each step', () => {
  it.each(MUTATING_CALLS)(
    'rolls back everything this execution created when $action is denied, and nothing else',
    async ({ action, service, step }) => {
      // Prepare
      await seedExisting();
      const faults = denied(action, service);
      // Act: a new group, plus an existing policy attachment on "sre" and the existing ECS role
      const result = await onboard(stack, request(), { faults });
      // Assess
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('AccessDenied');
      const cause = causeOf(result.cause);
      expect(cause.failedStep).toBe(step);
      expect(cause.leftBehind).toEqual([]);
      expect(await userExists('grace')).toBe(false);
      expect(await groupExists('data-engineers')).toBe(false);
      expect(await serviceRole(ELASTICACHE)).toBeUndefined();
      expect(await secretExists('onboarding/grace/access-key')).toBe(false);
      expect(await groupExists('sre')).toBe(true);
      expect(await attached('sre')).toEqual([READ_ONLY]);
      expect(await serviceRole(ECS)).toBeDefined();
    },
  );

  it.each(MUTATING_CALLS)(
    'keeps an existing group, its policies and its drift repair when $action is denied',
    async ({ action, service }) => {
      await seedExisting();
      const result = await onboard(
        stack,
        request({ profile: 'sre', contact: { recipient: TEST_HIRE_RECIPIENT }, policyArns: [EC2_READ] }),
        {
          faults: denied(action, service),
        },
      );
      const made = Object.entries(stack.emulator?.callsByCaller() ?? {})
        .filter(([caller]) => caller !== principalKeyId('test'))
        .some(([, calls]) => calls.some((c) => c.service === service && c.action === action));
      if (!made) {
        // A call the existing group makes unnecessary (CreateGroup) is not made: nothing to deny.
        expect(result.status).toBe('SUCCEEDED');
        return;
      }
      expect(result.status).toBe('FAILED');
      expect(await groupExists('sre')).toBe(true);
      // What drift repair attached before the failure stays: the group's members rely on it.
      const order = SAGA_STEPS.map((s) => s.name as string);
      const repaired = order.indexOf(causeOf(result.cause).failedStep) > order.indexOf('AttachGroupPolicies');
      expect(await attached('sre')).toEqual(repaired ? [CW_READ, READ_ONLY].sort() : [READ_ONLY]);
      expect(await userExists('grace')).toBe(false);
      expect(await serviceRole(ECS)).toBeDefined();
    },
  );
});

describe('transient failures', () => {
  it.each(MUTATING_CALLS)(
    'retries $action when it is throttled twice, and succeeds',
    async ({ action, service, step }) => {
      const faults = [{ action, service, kind: 'error' as const, error: 'Throttling', count: 2 }];
      const result = await onboard(stack, request(), { faults });
      expect(result.status).toBe('SUCCEEDED');
      expect(retriesOf(result.events, step)).toBeGreaterThanOrEqual(1);
      expect(await userExists('grace')).toBe(true);
    },
  );

  it('adopts the user whose CreateUser answer was lost, by its tag, and succeeds with one user', async () => {
    const result = await onboard(stack, request(), {
      faults: [{ action: 'CreateUser', kind: 'lost-response', count: 1 }],
    });
    expect(result.status).toBe('SUCCEEDED');
    const out = result.output as { created: { CreateUser: { adopted: boolean } } };
    expect(out.created.CreateUser.adopted).toBe(true);
    expect(await userExists('grace')).toBe(true);
  });

  it('retries a Lambda that died after its work, and succeeds without doing it twice', async () => {
    const result = await onboard(stack, request(), {
      lambdaFaults: [{ state: 'CreateAccessKey', when: 'after', kind: 'crash', count: 1 }],
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(retriesOf(result.events, 'CreateAccessKey')).toBe(1);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'grace' }));
    expect(keys.AccessKeyMetadata).toHaveLength(1);
  });
});

describe('failures before any write', () => {
  it('refuses a privileged request that does not say who asked in ValidateRequest, nothing read or created', async () => {
    const runner = await stackRunner(stack, { retryDelayMs: 1 });
    const result = await runner.run(
      { requestId: 'HR-300', userName: 'grace', profile: 'stepfunctions-admin' },
      { name: 'HR-300' },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidRequest');
    expect(causeOf(result.cause).failedStep).toBe('ValidateRequest');
    expect(causeOf(result.cause).message).toMatch(/requestedBy: profile "stepfunctions-admin" is privileged/);
    const entered = result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).not.toContain('AwaitApproval');
    expect(entered).not.toContain('Plan');
    expect(await userExists('grace')).toBe(false);
    expect(await groupExists('stepfunctions-admins')).toBe(false);
  });

  it('refuses a group of the allowed name at another path, naming both paths, before any write', async () => {
    // A same-named group elsewhere may carry anything (here AdministratorAccess): it is never used.
    await iam.send(new CreateGroupCommand({ GroupName: 'data-engineers', Path: '/admin/' }));
    await iam.send(
      new AttachGroupPolicyCommand({
        GroupName: 'data-engineers',
        PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    );
    const result = await onboard(stack, request());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RequestNotAllowed');
    const cause = causeOf(result.cause);
    expect(cause.failedStep).toBe('Plan');
    expect(cause.message).toContain('exists at path /admin/, not under the configured groupPath /onboarded/');
    expect(await userExists('grace')).toBe(false);
  });

  it('reports ValidateRequest as the failed step even when the bad input has request and plan members', async () => {
    // Prepare: an input that is no request, though it carries what a validated state carries
    const runner = await stackRunner(stack, { retryDelayMs: 1 });
    // Act
    const result = await runner.run({ ...request(), request: request(), plan: {} }, { name: 'HR-100' });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidRequest');
    expect(causeOf(result.cause).failedStep).toBe('ValidateRequest');
    expect(await userExists('grace')).toBe(false);
  });

  it('fails on an existing user name without writing anything', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'grace' }));
    const result = await onboard(stack, request());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UserAlreadyExists');
    expect(causeOf(result.cause).failedStep).toBe('Plan');
    const entered = result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).not.toContain('CreateUser');
    expect(await groupExists('data-engineers')).toBe(false);
    const user = await iam.send(new GetUserCommand({ UserName: 'grace' }));
    expect(user.User?.Tags ?? []).toEqual([]);
  });
});

describe('a rollback that cannot finish', () => {
  it('ends in RollbackIncomplete naming the leftover, after running every other undo', async () => {
    const faults = [
      { action: 'CreateAccessKey', kind: 'error' as const, error: 'AccessDenied', count: 'always' as const },
      { action: 'DeleteUser', kind: 'error' as const, error: 'ServiceFailure', count: 'always' as const },
    ];
    const result = await onboard(stack, request(), { faults });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RollbackIncomplete');
    const cause = causeOf(result.cause);
    expect(cause.error).toBe('AccessDenied');
    expect(cause.leftBehind).toEqual([
      expect.objectContaining({ step: 'UndoCreateUser', error: 'ServiceFailure' }),
    ]);
    expect(retriesOf(result.events, 'UndoCreateUser')).toBeGreaterThan(0);
    // The other undos still ran: the group this execution created is gone, its role too.
    expect(await groupExists('data-engineers')).toBe(false);
    expect(await serviceRole(ELASTICACHE)).toBeUndefined();
    expect(await userExists('grace')).toBe(true);
  });
});
