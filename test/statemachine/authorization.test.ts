import { CreateGroupCommand } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRoles } from '../../src/deploy/roles.ts';
import type { Stack } from '../../src/local/stack.ts';
import type { FailureCause } from '../../src/rollback-report.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { readAccount } from '../helpers/account.ts';
import { config, iamOf, onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';

/**
 * The embedded stack evaluates every function's role as serverless.yml defines it: taking one statement
 * out of one role makes the local run fail at that step with AccessDenied, and roll back.
 */

const request = {
  requestId: 'HR-700',
  userName: 'katherine',
  profile: 'elasticache-developer',
  contact: { recipient: TEST_HIRE_RECIPIENT },
  policyArns: ['arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess'],
  tags: { team: 'flight' },
};

/** The functions' roles as serverless.yml defines them, resolved for the local stack's account. */
const localRoles = () =>
  resolveRoles({ config, accountId: '000000000000', region: 'us-east-1', stage: 'local' });

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('the least-privilege roles, enforced by the local stack', () => {
  it('fails AddUserToGroup with AccessDenied and rolls back when its role loses the statement that grants it', async () => {
    // Prepare: serverless.yml's roles, with the group-membership statement taken out of one of them.
    const roles = await localRoles();
    const role = roles.addUserToGroup;
    expect(role?.Statement.some((s) => s.Sid === 'JoinAllowedGroups')).toBe(true);
    roles.addUserToGroup = {
      ...(role ?? { Version: '2012-10-17' }),
      Statement: (role?.Statement ?? []).filter((s) => s.Sid !== 'JoinAllowedGroups'),
    };
    stack = await openTestStack({ roles });
    const iam = iamOf(stack);
    await iam.send(new CreateGroupCommand({ GroupName: 'sre', Path: config.groupPath }));
    const before = await readAccount(iam, secretsOf(stack));

    // Act
    const result = await onboard(stack, request);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('AccessDenied');
    const cause = JSON.parse(result.cause ?? '{}') as FailureCause;
    expect(cause.failedStep).toBe('AddUserToGroup');
    expect(cause.message).toContain('iam:AddUserToGroup');
    expect(cause.message).toContain(`group${config.groupPath}elasticache-developers`);
    expect(cause.leftBehind ?? []).toEqual([]);
    expect(await readAccount(iam, secretsOf(stack))).toEqual(before);
  });

  it('succeeds with the same request under the roles as serverless.yml defines them', async () => {
    stack = await openTestStack();
    const result = await onboard(stack, request);
    expect(result.status).toBe('SUCCEEDED');
  });

  it('lets every call through with authorization off, even under the reduced role', async () => {
    const roles = await localRoles();
    roles.addUserToGroup = { Version: '2012-10-17', Statement: [] };
    stack = await openTestStack({ roles, authorize: false });
    const result = await onboard(stack, request);
    expect(result.status).toBe('SUCCEEDED');
  });
});
