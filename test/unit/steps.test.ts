import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeleteServiceLinkedRoleCommand,
  DeleteUserCommand,
  DetachGroupPolicyCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import config from '../../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig, type RuntimeConfig } from '../../src/config.ts';
import { SdkIamGateway } from '../../src/gateways/iam.ts';
import { SdkSecretStore } from '../../src/gateways/secrets.ts';
import type { Plan } from '../../src/plan.ts';
import { validateRequest } from '../../src/request.ts';
import { roleDescription } from '../../src/steps/ensure-service-linked-roles.ts';
import {
  addUserToGroup,
  attachGroupPolicies,
  attachUserPolicies,
  createAccessKey,
  createUser,
  ensureGroup,
  ensureServiceLinkedRoles,
} from '../../src/steps/index.ts';
import type { StepInput, TaskDeps } from '../../src/steps/types.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';

const iamMock = mockClient(IAMClient);
const smMock = mockClient(SecretsManagerClient);
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:iam-onboarding:HR-7';
const OTHER_EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:iam-onboarding:HR-8';
const USER_ARN = 'arn:aws:iam::000000000000:user/onboarded/grace';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const runtime: RuntimeConfig = {
  ...parseOnboardingConfig(config, 'config'),
  iamArnPrefix: 'arn:aws:iam::000000000000:',
};
const BOUNDARY = 'arn:aws:iam::000000000000:policy/iam-onboarding/iam-onboarding-team-member';
const CODECOMMIT = 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser';

const awsError = (name: string, message = name, status = 400) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

function deps(): TaskDeps {
  return {
    iam: new SdkIamGateway(new IAMClient({ region: 'us-east-1' })),
    secrets: new SdkSecretStore(new SecretsManagerClient({ region: 'us-east-1' })),
    executions: {
      currentStateInput: async () => {
        throw new Error('the steps themselves never verify: their handlers do');
      },
    },
    config: runtime,
    sleep: async () => undefined,
  };
}

function input(overrides: Partial<Plan> = {}, created: StepInput['created'] = {}): StepInput {
  const request = validateRequest(
    {
      requestId: 'HR-7',
      userName: 'grace',
      profile: 'developers',
      contact: { recipient: TEST_HIRE_RECIPIENT },
      policyArns: [CODECOMMIT],
    },
    runtime,
  );
  const plan: Plan = {
    profile: { name: 'developers', privileged: false, approval: 'not-needed', boundary: 'team-member' },
    user: {
      name: 'grace',
      path: '/onboarded/',
      permissionsBoundaryArn: BOUNDARY,
      create: true,
    },
    group: { name: 'developers', path: '/onboarded/', create: true, otherPolicies: [] },
    policies: [
      { arn: READ_ONLY, attach: true },
      { arn: S3_READ, attach: false },
    ],
    userPolicies: [{ arn: CODECOMMIT, reason: 'requested' as const }],
    serviceLinkedRoles: [{ service: 'elasticache.amazonaws.com', create: true }],
    loginProfile: { create: false },
    accessKey: { create: true, secretName: 'onboarding/grace/access-key', delivery: 'secrets-manager' },
    ...overrides,
  };
  return { request, plan, created, execution: EXECUTION };
}

const ourTags = (execution = EXECUTION) => [
  { Key: 'onboarding:request-id', Value: 'HR-7' },
  { Key: 'onboarding:execution', Value: execution },
];

beforeEach(() => {
  iamMock.reset();
  smMock.reset();
});

describe('CreateUser', () => {
  it('creates the user under the path and boundary, tagged with the request and the execution', async () => {
    // Prepare
    iamMock.on(CreateUserCommand).resolves({ User: { UserName: 'grace', Arn: USER_ARN } as never });
    // Act
    const result = await createUser.run(input(), deps());
    // Assess
    expect(result).toEqual({ userName: 'grace', userArn: USER_ARN, adopted: false });
    expect(iamMock).toHaveReceivedCommandWith(CreateUserCommand, {
      UserName: 'grace',
      Path: '/onboarded/',
      PermissionsBoundary: BOUNDARY,
      Tags: expect.arrayContaining(ourTags()),
    });
  });

  it('adopts a user its own lost answer created, proven by the execution tag', async () => {
    iamMock
      .on(CreateUserCommand)
      .rejects(awsError('EntityAlreadyExists', 'User with name grace already exists.', 409));
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags() } as never });
    expect(await createUser.run(input(), deps())).toEqual({
      userName: 'grace',
      userArn: USER_ARN,
      adopted: true,
    });
  });

  it('refuses a user someone else created meanwhile, even with the same name', async () => {
    iamMock.on(CreateUserCommand).rejects(awsError('EntityAlreadyExists', 'exists', 409));
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags(OTHER_EXECUTION) } as never });
    await expect(createUser.run(input(), deps())).rejects.toMatchObject({ name: 'UserAlreadyExists' });
  });

  it('surfaces throttling as the transient Throttling error the state machine retries', async () => {
    iamMock.on(CreateUserCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    await expect(createUser.run(input(), deps())).rejects.toMatchObject({ name: 'Throttling' });
  });

  it('undoes by clearing and deleting only a user this execution tagged', async () => {
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags() } as never });
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAOLD' }] });
    iamMock.on(ListGroupsForUserCommand).resolves({ Groups: [{ GroupName: 'developers' } as never] });
    iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
    iamMock.on(ListUserPoliciesCommand).resolves({ PolicyNames: [] });
    iamMock.on(DeleteUserCommand).resolves({});
    const result = await createUser.undo(input(), deps());
    expect(result.status).toBe('undone');
    expect(iamMock).toHaveReceivedCommandWith(DeleteAccessKeyCommand, {
      UserName: 'grace',
      AccessKeyId: 'AKIAOLD',
    });
    expect(iamMock).toHaveReceivedCommandWith(RemoveUserFromGroupCommand, {
      UserName: 'grace',
      GroupName: 'developers',
    });
    expect(iamMock).toHaveReceivedCommandWith(DeleteUserCommand, { UserName: 'grace' });
  });

  it('never deletes a user another execution created', async () => {
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags(OTHER_EXECUTION) } as never });
    const result = await createUser.undo(input(), deps());
    expect(result.status).toBe('kept');
    expect(iamMock).not.toHaveReceivedCommand(DeleteUserCommand);
  });

  it('treats a user that is already gone as undone (NoSuchEntity means done)', async () => {
    iamMock.on(GetUserCommand).rejects(awsError('NoSuchEntity', 'no user', 404));
    expect((await createUser.undo(input(), deps())).status).toBe('nothing');
  });

  /** The user found ours, cleared, and DeleteUser refused (as IAM refuses the retry of a lost delete). */
  function deleteRefused(thenGetUser: 'gone' | 'still there') {
    const ours = { User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags() } as never };
    const get = iamMock.on(GetUserCommand).resolvesOnce(ours);
    if (thenGetUser === 'gone') get.rejects(awsError('NoSuchEntity', 'no user', 404));
    else get.resolves(ours);
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iamMock.on(ListGroupsForUserCommand).resolves({ Groups: [] });
    iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
    iamMock.on(ListUserPoliciesCommand).resolves({ PolicyNames: [] });
    iamMock.on(DeleteUserCommand).rejects(awsError('AccessDenied', 'not authorized: iam:DeleteUser', 403));
  }

  it('reads the user back when DeleteUser is refused: gone means done (a retried delete after a lost answer)', async () => {
    deleteRefused('gone');
    expect((await createUser.undo(input(), deps())).status).toBe('undone');
    expect(iamMock).toHaveReceivedCommandTimes(GetUserCommand, 2);
  });

  it('lets the AccessDenied of DeleteUser stand when the user is still there', async () => {
    deleteRefused('still there');
    await expect(createUser.undo(input(), deps())).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(iamMock).toHaveReceivedCommandTimes(GetUserCommand, 2);
  });
});

describe('EnsureGroup', () => {
  it('creates a group the plan found missing', async () => {
    iamMock.on(CreateGroupCommand).resolves({ Group: { GroupName: 'developers' } as never });
    expect(await ensureGroup.run(input(), deps())).toEqual({ groupName: 'developers', created: true });
    expect(iamMock).toHaveReceivedCommandWith(CreateGroupCommand, {
      GroupName: 'developers',
      Path: '/onboarded/',
    });
  });

  it('leaves an existing group alone', async () => {
    const result = await ensureGroup.run(
      input({ group: { name: 'developers', path: '/onboarded/', create: false, otherPolicies: [] } }),
      deps(),
    );
    expect(result.created).toBe(false);
    expect(iamMock).not.toHaveReceivedCommand(CreateGroupCommand);
  });

  it('counts a group that "already exists" on a retry as not ours', async () => {
    iamMock.on(CreateGroupCommand).rejects(awsError('EntityAlreadyExists', 'exists', 409));
    expect(await ensureGroup.run(input(), deps())).toEqual({ groupName: 'developers', created: false });
  });

  it('deletes on undo only a group its own call created', async () => {
    iamMock.on(DeleteGroupCommand).resolves({});
    iamMock.on(GetGroupCommand).rejects(awsError('NoSuchEntity', 'no group', 404));
    expect(
      (
        await ensureGroup.undo(
          input({}, { EnsureGroup: { groupName: 'developers', created: false } }),
          deps(),
        )
      ).status,
    ).toBe('nothing');
    expect(iamMock).not.toHaveReceivedCommand(DeleteGroupCommand);
    expect(
      (await ensureGroup.undo(input({}, { EnsureGroup: { groupName: 'developers', created: true } }), deps()))
        .status,
    ).toBe('undone');
  });

  it('reads the group back when DeleteGroup is refused: gone means done, present means the refusal stands', async () => {
    const ours = input({}, { EnsureGroup: { groupName: 'developers', created: true } });
    iamMock.on(DeleteGroupCommand).rejects(awsError('AccessDenied', 'not authorized: iam:DeleteGroup', 403));
    iamMock.on(GetGroupCommand).rejectsOnce(awsError('NoSuchEntity', 'no group', 404));
    expect(await ensureGroup.undo(ours, deps())).toEqual({
      status: 'undone',
      detail: 'group developers is gone',
    });
    expect(iamMock).toHaveReceivedCommandWith(GetGroupCommand, { GroupName: 'developers' });

    iamMock
      .on(GetGroupCommand)
      .resolves({ Group: { GroupName: 'developers', Path: '/onboarded/' } as never });
    await expect(ensureGroup.undo(ours, deps())).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('leaves an empty group it cannot prove its own (CreateGroup answered "already exists") and says why', async () => {
    // Prepare: the plan found no group; the retry of a CreateGroup whose answer was lost found it taken.
    iamMock.on(GetGroupCommand).resolves({ Group: { GroupName: 'developers' } as never, Users: [] });
    // Act
    const result = await ensureGroup.undo(
      input({}, { EnsureGroup: { groupName: 'developers', created: false } }),
      deps(),
    );
    // Assess: never deleted, reported as possibly ours.
    expect(result.status).toBe('unproven');
    expect(result.detail).toMatch(/empty and was absent at plan time/);
    expect(result.detail).toMatch(/first answer was lost/);
    expect(iamMock).not.toHaveReceivedCommand(DeleteGroupCommand);
  });

  it('leaves an empty group when EnsureGroup never finished, and does not call it created', async () => {
    iamMock.on(GetGroupCommand).resolves({
      Group: { GroupName: 'developers' } as never,
      // The onboarded user itself does not make the group "in use" (its own undo removes it).
      Users: [{ UserName: 'grace' } as never],
    });
    const result = await ensureGroup.undo(input(), deps());
    expect(result.status).toBe('unproven');
    expect(result.detail).toMatch(/never finished/);
    expect(iamMock).not.toHaveReceivedCommand(DeleteGroupCommand);
  });

  it('keeps an unproven group that others use now: it is theirs either way', async () => {
    iamMock.on(GetGroupCommand).resolves({
      Group: { GroupName: 'developers' } as never,
      Users: [{ UserName: 'ada' } as never, { UserName: 'grace' } as never],
    });
    const result = await ensureGroup.undo(
      input({}, { EnsureGroup: { groupName: 'developers', created: false } }),
      deps(),
    );
    expect(result).toMatchObject({ status: 'kept' });
    expect(result.detail).toMatch(/1 other member/);
  });

  it('reads nothing on undo for a group that existed before the execution', async () => {
    const result = await ensureGroup.undo(
      input({ group: { name: 'developers', path: '/onboarded/', create: false, otherPolicies: [] } }),
      deps(),
    );
    expect(result.status).toBe('nothing');
    expect(iamMock).not.toHaveReceivedCommand(GetGroupCommand);
  });

  it('keeps a group others joined meanwhile (DeleteConflict) and says so', async () => {
    iamMock
      .on(DeleteGroupCommand)
      .rejects(awsError('DeleteConflict', 'Cannot delete entity, must remove users first.', 409));
    const result = await ensureGroup.undo(
      input({}, { EnsureGroup: { groupName: 'developers', created: true } }),
      deps(),
    );
    expect(result).toMatchObject({ status: 'kept' });
    expect(result.detail).toMatch(/other members/);
  });
});

describe('AddUserToGroup', () => {
  it('adds the user to the group', async () => {
    iamMock.on(AddUserToGroupCommand).resolves({});
    await addUserToGroup.run(input(), deps());
    expect(iamMock).toHaveReceivedCommandWith(AddUserToGroupCommand, {
      UserName: 'grace',
      GroupName: 'developers',
    });
  });

  it('retries a user IAM does not see yet (eventual consistency)', async () => {
    iamMock
      .on(AddUserToGroupCommand)
      .rejects(awsError('NoSuchEntity', 'The user with name grace cannot be found.', 404));
    await expect(addUserToGroup.run(input(), deps())).rejects.toMatchObject({ name: 'NotYetVisible' });
  });

  it('removes only its own user from the group on undo', async () => {
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags() } as never });
    iamMock.on(RemoveUserFromGroupCommand).resolves({});
    expect((await addUserToGroup.undo(input(), deps())).status).toBe('undone');
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags(OTHER_EXECUTION) } as never });
    iamMock.resetHistory();
    expect((await addUserToGroup.undo(input(), deps())).status).toBe('nothing');
    expect(iamMock).not.toHaveReceivedCommand(RemoveUserFromGroupCommand);
  });
});

describe('AttachGroupPolicies', () => {
  it('attaches only the planned policies that are not attached yet', async () => {
    iamMock.on(ListAttachedGroupPoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: S3_READ }] });
    iamMock.on(AttachGroupPolicyCommand).resolves({});
    const result = await attachGroupPolicies.run(input(), deps());
    expect(result.attached).toEqual([READ_ONLY]);
    expect(iamMock).toHaveReceivedCommandTimes(AttachGroupPolicyCommand, 1);
    expect(iamMock).toHaveReceivedCommandWith(AttachGroupPolicyCommand, {
      GroupName: 'developers',
      PolicyArn: READ_ONLY,
    });
  });

  it('says an attachment to an existing group is drift repair', async () => {
    iamMock.on(AttachGroupPolicyCommand).resolves({});
    const existing = input({
      group: { name: 'developers', path: '/onboarded/', create: false, otherPolicies: [] },
    });
    expect(await attachGroupPolicies.run(existing, deps())).toEqual({
      groupName: 'developers',
      attached: [READ_ONLY],
      driftRepair: true,
    });
    const created = { EnsureGroup: { groupName: 'developers', created: true } };
    expect((await attachGroupPolicies.run(input({}, created), deps())).driftRepair).toBe(false);
  });

  it('detaches on undo the planned attachments of the group it created, when nobody else joined it', async () => {
    iamMock.on(GetGroupCommand).resolves({ Users: [{ UserName: 'grace' } as never] });
    iamMock.on(DetachGroupPolicyCommand).resolves({});
    const created = { EnsureGroup: { groupName: 'developers', created: true } };
    const result = await attachGroupPolicies.undo(input({}, created), deps());
    expect(result.status).toBe('undone');
    expect(iamMock).toHaveReceivedCommandTimes(DetachGroupPolicyCommand, 1);
    expect(iamMock).toHaveReceivedCommandWith(DetachGroupPolicyCommand, {
      GroupName: 'developers',
      PolicyArn: READ_ONLY,
    });
  });

  it('never detaches from a group that existed before this execution (drift repair is kept)', async () => {
    const existing = input({
      group: { name: 'developers', path: '/onboarded/', create: false, otherPolicies: [] },
    });
    const result = await attachGroupPolicies.undo(existing, deps());
    expect(result.status).toBe('kept');
    expect(result.detail).toMatch(/drift repair/);
    expect(iamMock).not.toHaveReceivedCommand(DetachGroupPolicyCommand);
    expect(iamMock).not.toHaveReceivedCommand(GetGroupCommand);
  });

  it('keeps the policies of the group it created when others joined it meanwhile', async () => {
    iamMock.on(GetGroupCommand).resolves({ Users: [{ UserName: 'grace' }, { UserName: 'ada' }] as never });
    const created = { EnsureGroup: { groupName: 'developers', created: true } };
    const result = await attachGroupPolicies.undo(input({}, created), deps());
    expect(result).toMatchObject({ status: 'kept', detail: expect.stringMatching(/1 other member/) });
    expect(iamMock).not.toHaveReceivedCommand(DetachGroupPolicyCommand);
  });

  it('keeps the policies of a group its plan meant to create but whose CreateGroup found taken (not proven ours)', async () => {
    const taken = { EnsureGroup: { groupName: 'developers', created: false } };
    const result = await attachGroupPolicies.undo(input({}, taken), deps());
    expect(result).toMatchObject({
      status: 'kept',
      detail: expect.stringMatching(/did not prove it created/),
    });
    expect(iamMock.calls()).toHaveLength(0);
    expect((await attachGroupPolicies.run(input({}, taken), deps())).driftRepair).toBe(true);
  });
});

describe('AttachUserPolicies', () => {
  it("attaches the request's extra policies to the user, never to the group", async () => {
    iamMock.on(AttachUserPolicyCommand).resolves({});
    expect(await attachUserPolicies.run(input(), deps())).toEqual({
      userName: 'grace',
      attached: [CODECOMMIT],
    });
    expect(iamMock).toHaveReceivedCommandWith(AttachUserPolicyCommand, {
      UserName: 'grace',
      PolicyArn: CODECOMMIT,
    });
    expect(iamMock).not.toHaveReceivedCommand(AttachGroupPolicyCommand);
  });

  it('calls nothing when the request has no extra policy', async () => {
    expect((await attachUserPolicies.run(input({ userPolicies: [] }), deps())).attached).toEqual([]);
    expect((await attachUserPolicies.undo(input({ userPolicies: [] }), deps())).status).toBe('nothing');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it("detaches on undo from this execution's user only (tag-proven)", async () => {
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags() } as never });
    iamMock.on(DetachUserPolicyCommand).resolves({});
    expect((await attachUserPolicies.undo(input(), deps())).status).toBe('undone');
    expect(iamMock).toHaveReceivedCommandWith(DetachUserPolicyCommand, {
      UserName: 'grace',
      PolicyArn: CODECOMMIT,
    });
    iamMock.reset();
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags(OTHER_EXECUTION) } as never });
    expect((await attachUserPolicies.undo(input(), deps())).status).toBe('nothing');
    expect(iamMock).not.toHaveReceivedCommand(DetachUserPolicyCommand);
  });
});

describe('EnsureServiceLinkedRoles', () => {
  it('creates a planned role with a description naming the execution (its proof of ownership)', async () => {
    iamMock
      .on(CreateServiceLinkedRoleCommand)
      .resolves({ Role: { RoleName: 'AWSServiceRoleForElastiCache' } as never });
    const result = await ensureServiceLinkedRoles.run(input(), deps());
    expect(result.roles).toEqual([
      { service: 'elasticache.amazonaws.com', roleName: 'AWSServiceRoleForElastiCache', created: true },
    ]);
    expect(iamMock).toHaveReceivedCommandWith(CreateServiceLinkedRoleCommand, {
      AWSServiceName: 'elasticache.amazonaws.com',
      Description: roleDescription(EXECUTION),
    });
  });

  it('adopts a role its own lost answer created, proven by the description', async () => {
    iamMock
      .on(CreateServiceLinkedRoleCommand)
      .rejects(awsError('InvalidInput', 'Service role name x has been taken'));
    iamMock.on(ListRolesCommand).resolves({
      Roles: [{ RoleName: 'AWSServiceRoleForElastiCache', Description: roleDescription(EXECUTION) } as never],
    });
    expect((await ensureServiceLinkedRoles.run(input(), deps())).roles[0]?.created).toBe(true);
  });

  it('treats "has been taken" as an existing role, reading its name from the API', async () => {
    iamMock
      .on(CreateServiceLinkedRoleCommand)
      .rejects(
        awsError(
          'InvalidInput',
          'Service role name AWSServiceRoleForElastiCache has been taken in this account',
        ),
      );
    iamMock
      .on(ListRolesCommand)
      .resolves({ Roles: [{ RoleName: 'AWSServiceRoleForElastiCache_moto', Tags: [] } as never] });
    const result = await ensureServiceLinkedRoles.run(input(), deps());
    expect(result.roles[0]).toMatchObject({ roleName: 'AWSServiceRoleForElastiCache_moto', created: false });
  });

  it('deletes on undo only a role tagged with this execution, and waits for the deletion', async () => {
    iamMock.on(ListRolesCommand).resolves({
      Roles: [{ RoleName: 'AWSServiceRoleForElastiCache', Description: roleDescription(EXECUTION) } as never],
    });
    iamMock.on(DeleteServiceLinkedRoleCommand).resolves({ DeletionTaskId: 'task/1' });
    iamMock
      .on(GetServiceLinkedRoleDeletionStatusCommand)
      .resolvesOnce({ Status: 'IN_PROGRESS' })
      .resolves({ Status: 'SUCCEEDED' });
    expect((await ensureServiceLinkedRoles.undo(input(), deps())).status).toBe('undone');
    expect(iamMock).toHaveReceivedCommandTimes(GetServiceLinkedRoleDeletionStatusCommand, 2);
  });

  it('fails the undo when the service still uses the role', async () => {
    iamMock.on(ListRolesCommand).resolves({
      Roles: [{ RoleName: 'AWSServiceRoleForElastiCache', Description: roleDescription(EXECUTION) } as never],
    });
    iamMock.on(DeleteServiceLinkedRoleCommand).resolves({ DeletionTaskId: 'task/1' });
    iamMock
      .on(GetServiceLinkedRoleDeletionStatusCommand)
      .resolves({ Status: 'FAILED', Reason: { Reason: 'in use' } });
    await expect(ensureServiceLinkedRoles.undo(input(), deps())).rejects.toMatchObject({
      name: 'ServiceLinkedRoleInUse',
    });
  });

  it('lists the roles again when DeleteServiceLinkedRole is refused: gone means done, listed means it stands', async () => {
    const ours = {
      Roles: [{ RoleName: 'AWSServiceRoleForElastiCache', Description: roleDescription(EXECUTION) } as never],
    };
    iamMock.on(ListRolesCommand).resolvesOnce(ours).resolves({ Roles: [] });
    iamMock
      .on(DeleteServiceLinkedRoleCommand)
      .rejects(awsError('AccessDenied', 'not authorized: iam:DeleteServiceLinkedRole', 403));
    expect(await ensureServiceLinkedRoles.undo(input(), deps())).toEqual({
      status: 'undone',
      detail: 'deleted AWSServiceRoleForElastiCache (gone)',
    });
    expect(iamMock).toHaveReceivedCommandTimes(ListRolesCommand, 2);
    expect(iamMock).not.toHaveReceivedCommand(GetServiceLinkedRoleDeletionStatusCommand);

    iamMock.on(ListRolesCommand).resolves(ours);
    await expect(ensureServiceLinkedRoles.undo(input(), deps())).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('keeps a role it cannot prove is ours', async () => {
    iamMock
      .on(ListRolesCommand)
      .resolves({ Roles: [{ RoleName: 'AWSServiceRoleForElastiCache', Tags: [] } as never] });
    expect((await ensureServiceLinkedRoles.undo(input(), deps())).status).toBe('kept');
    expect(iamMock).not.toHaveReceivedCommand(DeleteServiceLinkedRoleCommand);
  });
});

describe('CreateAccessKey', () => {
  const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  beforeEach(() => {
    iamMock
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'grace', Arn: USER_ARN, Tags: ourTags() } as never });
  });

  it('stores the secret in Secrets Manager and returns only references', async () => {
    smMock.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iamMock
      .on(CreateAccessKeyCommand)
      .resolves({ AccessKey: { AccessKeyId: 'AKIANEW', SecretAccessKey: SECRET } as never });
    smMock.on(CreateSecretCommand).resolves({
      ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:onboarding/grace/access-key-AbCdEf',
    });
    smMock.on(PutResourcePolicyCommand).resolves({});
    const result = await createAccessKey.run(input(), deps());
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(result).toMatchObject({ accessKeyId: 'AKIANEW', skipped: false });
    expect(smMock).toHaveReceivedCommandWith(CreateSecretCommand, {
      Name: 'onboarding/grace/access-key',
      SecretString: expect.stringContaining(SECRET),
      Tags: expect.arrayContaining([...ourTags(), { Key: 'onboarding:access-key-id', Value: 'AKIANEW' }]),
    });
    const policy = JSON.parse(
      smMock.commandCalls(PutResourcePolicyCommand)[0]?.args[0].input.ResourcePolicy ?? '{}',
    );
    expect(JSON.stringify(policy)).toContain(USER_ARN);
  });

  it('replaces a key whose secret nobody holds (a lost answer) instead of hitting the two-key limit', async () => {
    smMock.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAORPHAN' }] });
    iamMock
      .on(CreateAccessKeyCommand)
      .resolves({ AccessKey: { AccessKeyId: 'AKIANEW', SecretAccessKey: SECRET } as never });
    smMock.on(CreateSecretCommand).resolves({ ARN: 'arn:secret' });
    await createAccessKey.run(input(), deps());
    expect(iamMock).toHaveReceivedCommandWith(DeleteAccessKeyCommand, {
      UserName: 'grace',
      AccessKeyId: 'AKIAORPHAN',
    });
  });

  it('returns the stored key on a retry whose first answer was lost', async () => {
    smMock.on(DescribeSecretCommand).resolves({
      ARN: 'arn:secret',
      Name: 'onboarding/grace/access-key',
      Tags: [...ourTags(), { Key: 'onboarding:access-key-id', Value: 'AKIASTORED' }],
    });
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIASTORED' }] });
    const result = await createAccessKey.run(input(), deps());
    expect(result).toMatchObject({ accessKeyId: 'AKIASTORED', secretArn: 'arn:secret' });
    expect(iamMock).not.toHaveReceivedCommand(CreateAccessKeyCommand);
  });

  it("refuses to overwrite a secret that is not this execution's", async () => {
    smMock
      .on(DescribeSecretCommand)
      .resolves({ ARN: 'arn:secret', Name: 'onboarding/grace/access-key', Tags: [] });
    await expect(createAccessKey.run(input(), deps())).rejects.toMatchObject({ name: 'SecretAlreadyExists' });
  });

  it('does nothing when no key was requested', async () => {
    const result = await createAccessKey.run(
      input({ accessKey: { create: false, secretName: 'x', delivery: 'recipient' } }),
      deps(),
    );
    expect(result).toEqual({ skipped: true });
    expect(iamMock).not.toHaveReceivedCommand(CreateAccessKeyCommand);
  });

  it('reads the secret back when DeleteSecret is refused: gone means done, present means the refusal stands', async () => {
    const ours = { ARN: 'arn:secret', Name: 'onboarding/grace/access-key', Tags: ourTags() };
    smMock
      .on(DescribeSecretCommand)
      .resolvesOnce(ours)
      .rejects(awsError('ResourceNotFoundException', 'no secret', 400));
    smMock
      .on(DeleteSecretCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized: secretsmanager:DeleteSecret', 400));
    iamMock.on(GetUserCommand).rejects(awsError('NoSuchEntity', 'no user', 404));
    expect(await createAccessKey.undo(input(), deps())).toEqual({
      status: 'undone',
      detail: 'secret onboarding/grace/access-key is gone',
    });
    expect(smMock).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: 'arn:secret' });

    // Still listed, but with a deletion date: its deletion is under way (asynchronous), so done.
    smMock
      .on(DescribeSecretCommand)
      .resolvesOnce(ours)
      .resolves({ ...ours, DeletedDate: new Date('2026-01-15T12:00:00Z') });
    await expect(createAccessKey.undo(input(), deps())).resolves.toBeDefined();

    smMock.on(DescribeSecretCommand).resolves(ours);
    await expect(createAccessKey.undo(input(), deps())).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('deletes its secret and its keys on undo', async () => {
    smMock
      .on(DescribeSecretCommand)
      .resolves({ ARN: 'arn:secret', Name: 'onboarding/grace/access-key', Tags: ourTags() });
    smMock.on(DeleteSecretCommand).resolves({});
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIANEW' }] });
    iamMock.on(DeleteAccessKeyCommand).resolves({});
    expect((await createAccessKey.undo(input(), deps())).status).toBe('undone');
    expect(smMock).toHaveReceivedCommandWith(DeleteSecretCommand, {
      SecretId: 'arn:secret',
      ForceDeleteWithoutRecovery: true,
    });
  });
});
