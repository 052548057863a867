import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeletePolicyCommand,
  DeleteUserCommand,
  DetachGroupPolicyCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  GetPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  PutGroupPolicyCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { AWS_MANAGED_POLICIES } from '../src/index.ts';
import { awsError, emulatorWithClients } from './helpers.ts';

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
});

describe('IAM groups', () => {
  it('creates a group with a path, adds a member twice (no-op), and reads the membership both ways', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    const group = await iam.send(new CreateGroupCommand({ GroupName: 'devs', Path: '/teams/' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'alice' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'DEVS', UserName: 'Alice' }));
    const got = await iam.send(new GetGroupCommand({ GroupName: 'devs' }));
    const forUser = await iam.send(new ListGroupsForUserCommand({ UserName: 'alice' }));
    const all = await iam.send(new ListGroupsCommand({ PathPrefix: '/teams/' }));

    // Assess
    expect(group.Group?.Arn).toBe('arn:aws:iam::000000000000:group/teams/devs');
    expect(group.Group?.GroupId).toMatch(/^AGPA[A-Z2-7]{17}$/);
    expect(got.Group?.GroupName).toBe('devs');
    expect(got.Users?.map((u) => u.UserName)).toEqual(['alice']);
    expect(forUser.Groups?.map((g) => g.GroupName)).toEqual(['devs']);
    expect(all.Groups?.map((g) => g.GroupName)).toEqual(['devs']);
  });

  it('removes a member, and answers NoSuchEntity when the user is not in the group', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'alice' }));

    // Act
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'devs', UserName: 'alice' }));
    const again = await awsError(
      iam.send(new RemoveUserFromGroupCommand({ GroupName: 'devs', UserName: 'alice' })),
    );

    // Assess
    expect(again).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect((await iam.send(new GetGroupCommand({ GroupName: 'devs' }))).Users).toEqual([]);
  });

  it('checks group names: 1 to 128 characters of the IAM set, unique whatever the case', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateGroupCommand({ GroupName: 'g'.repeat(128) }));

    // Act
    const tooLong = await awsError(iam.send(new CreateGroupCommand({ GroupName: 'g'.repeat(129) })));
    const badChars = await awsError(iam.send(new CreateGroupCommand({ GroupName: 'dev team' })));
    const duplicate = await awsError(iam.send(new CreateGroupCommand({ GroupName: 'G'.repeat(128) })));
    const badPath = await awsError(iam.send(new CreateGroupCommand({ GroupName: 'ok', Path: 'teams' })));

    // Assess
    expect(tooLong).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(tooLong.message).toMatch(/groupName.*less than or equal to 128/);
    expect(badChars.message).toMatch(/specified value for groupName is invalid/);
    expect(duplicate).toMatchObject({ code: 'EntityAlreadyExists', status: 409 });
    expect(badPath).toMatchObject({ code: 'ValidationError' });
  });

  it('limits a user to 10 groups (LimitExceeded)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    for (let i = 0; i < 11; i++) await iam.send(new CreateGroupCommand({ GroupName: `g${i}` }));
    for (let i = 0; i < 10; i++)
      await iam.send(new AddUserToGroupCommand({ GroupName: `g${i}`, UserName: 'alice' }));

    // Act
    const error = await awsError(
      iam.send(new AddUserToGroupCommand({ GroupName: 'g10', UserName: 'alice' })),
    );

    // Assess
    expect(error).toEqual({
      code: 'LimitExceeded',
      status: 409,
      message: 'Cannot exceed quota for GroupsPerUser: 10',
    });
  });

  it('puts, lists and deletes inline group policies', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));

    // Act
    await iam.send(
      new PutGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'inline', PolicyDocument: DOC }),
    );
    const listed = await iam.send(new ListGroupPoliciesCommand({ GroupName: 'devs' }));
    await iam.send(new DeleteGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'inline' }));
    const missing = await awsError(
      iam.send(new DeleteGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'inline' })),
    );

    // Assess
    expect(listed.PolicyNames).toEqual(['inline']);
    expect(missing).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });
});

describe('IAM DeleteGroup', () => {
  it.each([
    ['a member', 'remove users from group'],
    ['an attached policy', 'detach all policies'],
    ['an inline policy', 'delete policies'],
  ] as const)('refuses to delete a group that still has %s (DeleteConflict 409)', async (what, message) => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));
    const give: Record<typeof what, () => Promise<unknown>> = {
      'a member': () => iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'alice' })),
      'an attached policy': () =>
        iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: READ_ONLY })),
      'an inline policy': () =>
        iam.send(new PutGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'p', PolicyDocument: DOC })),
    };
    await give[what]();

    // Act
    const error = await awsError(iam.send(new DeleteGroupCommand({ GroupName: 'devs' })));

    // Assess
    expect(error).toMatchObject({ code: 'DeleteConflict', status: 409 });
    expect(error.message).toContain(message);
  });

  it('deletes an empty group, after which it is NoSuchEntity', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));

    // Act
    await iam.send(new DeleteGroupCommand({ GroupName: 'devs' }));

    // Assess
    expect(await awsError(iam.send(new GetGroupCommand({ GroupName: 'devs' })))).toEqual({
      code: 'NoSuchEntity',
      status: 404,
      message: 'The group with name devs cannot be found.',
    });
  });
});

describe('IAM managed policies', () => {
  it('knows the common AWS managed policies', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const policies = await Promise.all(
      AWS_MANAGED_POLICIES.map((arn) => iam.send(new GetPolicyCommand({ PolicyArn: arn }))),
    );

    // Assess
    expect(AWS_MANAGED_POLICIES.length).toBeGreaterThanOrEqual(20);
    for (const name of [
      'ReadOnlyAccess',
      'AmazonS3ReadOnlyAccess',
      'AmazonElastiCacheFullAccess',
      'AmazonEC2ReadOnlyAccess',
      'CloudWatchReadOnlyAccess',
      'AWSCodeCommitPowerUser',
      'IAMUserChangePassword',
      'PowerUserAccess',
      'AdministratorAccess',
    ]) {
      expect(policies.map((p) => p.Policy?.PolicyName)).toContain(name);
    }
    const viewOnly = policies.find((p) => p.Policy?.PolicyName === 'ViewOnlyAccess')?.Policy;
    expect(viewOnly).toMatchObject({ Path: '/job-function/', IsAttachable: true });
    expect(viewOnly?.PolicyId).toMatch(/^ANPA/);
  });

  it('attaches policies to a group idempotently, counts the attachments, lists and detaches them', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));

    // Act
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: READ_ONLY }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: READ_ONLY }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: S3_READ }));
    const listed = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'devs' }));
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: READ_ONLY }));
    await iam.send(new DetachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: READ_ONLY }));
    const detachedTwice = await awsError(
      iam.send(new DetachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: READ_ONLY })),
    );

    // Assess
    expect(listed.AttachedPolicies).toEqual([
      { PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY },
      { PolicyName: 'AmazonS3ReadOnlyAccess', PolicyArn: S3_READ },
    ]);
    expect(policy.Policy?.AttachmentCount).toBe(1);
    expect(detachedTwice).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(
      (await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'devs' }))).AttachedPolicies,
    ).toHaveLength(1);
  });

  it('refuses an unknown policy (NoSuchEntity) and a malformed ARN (InvalidInput)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));

    // Act
    const unknown = await awsError(
      iam.send(
        new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: 'arn:aws:iam::aws:policy/Nope' }),
      ),
    );
    const malformed = await awsError(
      iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: 'not-an-arn' })),
    );
    const getUnknown = await awsError(
      iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/Nope' })),
    );

    // Assess
    expect(unknown).toEqual({
      code: 'NoSuchEntity',
      status: 404,
      message: 'Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.',
    });
    expect(malformed).toEqual({ code: 'InvalidInput', status: 400, message: 'ARN not-an-arn is not valid.' });
    expect(getUnknown).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it('limits a group to 10 attached policies (LimitExceeded)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));
    for (const arn of AWS_MANAGED_POLICIES.slice(0, 10)) {
      await iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: arn }));
    }
    const eleventh = AWS_MANAGED_POLICIES[10] ?? '';

    // Act
    const error = await awsError(
      iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: eleventh })),
    );

    // Assess
    expect(error).toEqual({
      code: 'LimitExceeded',
      status: 409,
      message: 'Cannot exceed quota for PoliciesPerGroup: 10',
    });
  });

  it('refuses to delete an AWS managed policy (UnmodifiableEntity)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const error = await awsError(iam.send(new DeletePolicyCommand({ PolicyArn: READ_ONLY })));

    // Assess
    expect(error).toMatchObject({ code: 'UnmodifiableEntity', status: 400 });
  });
});

describe('IAM customer policies', () => {
  it('creates a policy under a path, and GetPolicy describes it', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const created = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'mine', PolicyDocument: DOC, Path: '/x/', Description: 'ours' }),
    );
    const got = await iam.send(new GetPolicyCommand({ PolicyArn: created.Policy?.Arn }));

    // Assess
    expect(created.Policy?.Arn).toBe('arn:aws:iam::000000000000:policy/x/mine');
    expect(got.Policy).toMatchObject({
      PolicyName: 'mine',
      Path: '/x/',
      Description: 'ours',
      AttachmentCount: 0,
    });
    expect(got.Policy?.PolicyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
  });

  it('refuses a document that is not JSON, a bad path and a taken name', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreatePolicyCommand({ PolicyName: 'mine', PolicyDocument: DOC }));

    // Act
    const malformed = await awsError(
      iam.send(new CreatePolicyCommand({ PolicyName: 'bad', PolicyDocument: '{' })),
    );
    const badPath = await awsError(
      iam.send(new CreatePolicyCommand({ PolicyName: 'bad', PolicyDocument: DOC, Path: 'x' })),
    );
    const taken = await awsError(
      iam.send(new CreatePolicyCommand({ PolicyName: 'MINE', PolicyDocument: DOC, Path: '/y/' })),
    );

    // Assess
    expect(malformed).toMatchObject({ code: 'MalformedPolicyDocument', status: 400 });
    expect(badPath).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(taken).toMatchObject({ code: 'EntityAlreadyExists', status: 409 });
  });

  it.each([
    ['attached to a user', 'user'],
    ['attached to a group', 'group'],
    ['a permissions boundary', 'boundary'],
  ] as const)(
    'refuses to delete a policy that is %s (DeleteConflict), then deletes it once free',
    async (_what, use) => {
      // Prepare
      const { iam } = await emulatorWithClients();
      const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'mine', PolicyDocument: DOC })))
        .Policy?.Arn;
      await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));
      await iam.send(
        new CreateUserCommand({
          UserName: 'alice',
          ...(use === 'boundary' ? { PermissionsBoundary: arn } : {}),
        }),
      );
      if (use === 'user') await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn }));
      if (use === 'group')
        await iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: arn }));

      // Act
      const conflict = await awsError(iam.send(new DeletePolicyCommand({ PolicyArn: arn })));
      if (use === 'user') await iam.send(new DetachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn }));
      if (use === 'group')
        await iam.send(new DetachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: arn }));
      if (use === 'boundary') await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
      await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));

      // Assess
      expect(conflict).toEqual({
        code: 'DeleteConflict',
        status: 409,
        message: 'Cannot delete a policy attached to entities.',
      });
      expect(await awsError(iam.send(new GetPolicyCommand({ PolicyArn: arn })))).toMatchObject({
        code: 'NoSuchEntity',
      });
    },
  );

  it('counts a permissions boundary apart from attachments', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'boundary', PolicyDocument: DOC })))
      .Policy?.Arn;
    await iam.send(new CreateUserCommand({ UserName: 'alice', PermissionsBoundary: arn }));

    // Act
    const got = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));

    // Assess
    expect(got.Policy).toMatchObject({ AttachmentCount: 0, PermissionsBoundaryUsageCount: 1 });
  });
});
