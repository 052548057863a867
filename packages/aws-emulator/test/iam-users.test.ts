import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetGroupPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListMFADevicesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UntagUserCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { awsError, clientsFor, emulatorWithClients } from './helpers.ts';

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
});

describe('IAM users', () => {
  it('creates a user with a path, tags and a permissions boundary, and GetUser reads them back', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const boundary = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'boundary', PolicyDocument: DOC, Path: '/b/' }),
    );

    // Act
    const created = await iam.send(
      new CreateUserCommand({
        UserName: 'alice',
        Path: '/onboarded/',
        PermissionsBoundary: boundary.Policy?.Arn,
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    const got = await iam.send(new GetUserCommand({ UserName: 'alice' }));

    // Assess
    expect(created.User?.Arn).toBe('arn:aws:iam::000000000000:user/onboarded/alice');
    expect(created.User?.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(got.User).toMatchObject({
      UserName: 'alice',
      Path: '/onboarded/',
      UserId: created.User?.UserId,
      PermissionsBoundary: {
        PermissionsBoundaryType: 'Policy',
        PermissionsBoundaryArn: 'arn:aws:iam::000000000000:policy/b/boundary',
      },
      Tags: [{ Key: 'team', Value: 'platform' }],
    });
    expect(got.User?.CreateDate).toBeInstanceOf(Date);
  });

  it('accepts an AWS managed policy as a boundary and refuses one that does not exist', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    await iam.send(new CreateUserCommand({ UserName: 'bounded', PermissionsBoundary: READ_ONLY }));
    const error = await awsError(
      iam.send(
        new CreateUserCommand({
          UserName: 'alice',
          PermissionsBoundary: 'arn:aws:iam::000000000000:policy/none',
        }),
      ),
    );

    // Assess
    expect(error).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(await awsError(iam.send(new GetUserCommand({ UserName: 'alice' })))).toMatchObject({
      code: 'NoSuchEntity',
    });
  });

  it.each([
    ['a space', 'a b', /specified value for userName is invalid/],
    ['a slash', 'team/alice', /specified value for userName is invalid/],
    ['65 characters', 'a'.repeat(65), /length less than or equal to 64/],
    ['no character', '', /length greater than or equal to 1/],
  ])('refuses a user name with %s (ValidationError)', async (_what, name, message) => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const error = await awsError(iam.send(new CreateUserCommand({ UserName: name })));

    // Assess
    expect(error).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(error.message).toMatch(message);
  });

  it('accepts a 64-character name made of every allowed character class', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const name = `Ab9_+=,.@-${'x'.repeat(54)}`;

    // Act
    const created = await iam.send(new CreateUserCommand({ UserName: name }));

    // Assess
    expect(created.User?.UserName).toBe(name);
  });

  it.each([
    ['no slashes', 'onboarded', /must begin and end with \//],
    ['no trailing slash', '/onboarded', /must begin and end with \//],
    ['a space', '/on boarded/', /must begin and end with \//],
    ['513 characters', `/${'p'.repeat(511)}/`, /length less than or equal to 512/],
  ])('refuses a path with %s (ValidationError)', async (_what, path, message) => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const error = await awsError(iam.send(new CreateUserCommand({ UserName: 'alice', Path: path })));

    // Assess
    expect(error).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(error.message).toMatch(message);
  });

  it('accepts a 512-character path', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const path = `/${'p'.repeat(510)}/`;

    // Act
    const created = await iam.send(new CreateUserCommand({ UserName: 'alice', Path: path }));

    // Assess
    expect(created.User?.Path).toBe(path);
  });

  it('treats names case-insensitively: "alice" is taken by "Alice", and found under either spelling', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'Alice' }));

    // Act
    const duplicate = await awsError(iam.send(new CreateUserCommand({ UserName: 'alice' })));
    const found = await iam.send(new GetUserCommand({ UserName: 'ALICE' }));

    // Assess
    expect(duplicate).toMatchObject({ code: 'EntityAlreadyExists', status: 409 });
    expect(duplicate.message).toBe('User with name alice already exists.');
    expect(found.User?.UserName).toBe('Alice');
  });

  it('answers NoSuchEntity (404) for a user that does not exist', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const got = await awsError(iam.send(new GetUserCommand({ UserName: 'ghost' })));
    const deleted = await awsError(iam.send(new DeleteUserCommand({ UserName: 'ghost' })));

    // Assess
    expect(got).toEqual({
      code: 'NoSuchEntity',
      status: 404,
      message: 'The user with name ghost cannot be found.',
    });
    expect(deleted).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it('tags, lists tags and untags, with tag keys compared case-insensitively', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'team', Value: '1' }] }));

    // Act
    await iam.send(
      new TagUserCommand({
        UserName: 'alice',
        Tags: [
          { Key: 'cost-centre', Value: '2' },
          { Key: 'Team', Value: '3' },
        ],
      }),
    );
    const tagged = await iam.send(new ListUserTagsCommand({ UserName: 'alice' }));
    await iam.send(new UntagUserCommand({ UserName: 'alice', TagKeys: ['TEAM'] }));
    const untagged = await iam.send(new ListUserTagsCommand({ UserName: 'alice' }));

    // Assess
    expect(tagged.Tags).toEqual([
      { Key: 'Team', Value: '3' },
      { Key: 'cost-centre', Value: '2' },
    ]);
    expect(untagged.Tags).toEqual([{ Key: 'cost-centre', Value: '2' }]);
  });

  it('refuses duplicate tag keys, bad tag characters and more than 50 tags', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));

    // Act
    const duplicate = await awsError(
      iam.send(
        new CreateUserCommand({
          UserName: 'a',
          Tags: [
            { Key: 'dup', Value: '1' },
            { Key: 'DUP', Value: '2' },
          ],
        }),
      ),
    );
    const badKey = await awsError(
      iam.send(new CreateUserCommand({ UserName: 'a', Tags: [{ Key: 'bad*key', Value: '1' }] })),
    );
    const tooMany = await awsError(iam.send(new CreateUserCommand({ UserName: 'a', Tags: many })));

    // Assess
    expect(duplicate).toMatchObject({ code: 'InvalidInput', status: 400 });
    expect(badKey).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(tooMany).toMatchObject({ code: 'LimitExceeded', status: 409 });
  });

  it('lists users under a path prefix, sorted by name, without their tags', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(
      new CreateUserCommand({ UserName: 'zoe', Path: '/onboarded/', Tags: [{ Key: 'a', Value: 'b' }] }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'bob', Path: '/onboarded/' }));
    await iam.send(new CreateUserCommand({ UserName: 'admin' }));

    // Act
    const listed = await iam.send(new ListUsersCommand({ PathPrefix: '/onboarded/' }));

    // Assess
    expect(listed.Users?.map((u) => u.UserName)).toEqual(['bob', 'zoe']);
    expect(listed.Users?.[1]?.Tags).toBeUndefined();
    expect(listed.IsTruncated).toBe(false);
  });
});

describe('IAM DeleteUser', () => {
  it.each([
    ['an access key', 'access keys'],
    ['a login profile', 'login profile'],
    ['an MFA device', 'MFA device'],
    ['an inline policy', 'delete policies'],
    ['an attached policy', 'detach all policies'],
    ['a group membership', 'remove users from group'],
  ] as const)('refuses to delete a user that still has %s (DeleteConflict 409)', async (what, message) => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));
    const give: Record<typeof what, () => Promise<unknown>> = {
      'an access key': () => iam.send(new CreateAccessKeyCommand({ UserName: 'bob' })),
      'a login profile': () =>
        iam.send(new CreateLoginProfileCommand({ UserName: 'bob', Password: 'S3cret!pass' })),
      // A hardware device, seeded (virtual ones are enabled with codes: iam-credentials.test.ts).
      'an MFA device': async () => {
        const state = emulator.snapshot();
        state.users.bob?.mfaDevices.push('arn:aws:iam::000000000000:mfa/bob');
        emulator.seed(state);
      },
      'an inline policy': () =>
        iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'p', PolicyDocument: DOC })),
      'an attached policy': () =>
        iam.send(new AttachUserPolicyCommand({ UserName: 'bob', PolicyArn: READ_ONLY })),
      'a group membership': () => iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'bob' })),
    };
    await give[what]();

    // Act
    const error = await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })));

    // Assess
    expect(error).toMatchObject({ code: 'DeleteConflict', status: 409 });
    expect(error.message).toContain(message);
    expect((await iam.send(new GetUserCommand({ UserName: 'bob' }))).User?.UserName).toBe('bob');
  });

  it('deletes a user once everything that hung on it is removed', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'bob' }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'bob', PolicyArn: READ_ONLY }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'p', PolicyDocument: DOC }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'bob', Password: 'S3cret!pass' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }));

    // Act
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'devs', UserName: 'bob' }));
    await iam.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: READ_ONLY }));
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'bob', PolicyName: 'p' }));
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'bob' }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'bob', AccessKeyId: key.AccessKey?.AccessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));

    // Assess
    expect(await awsError(iam.send(new GetUserCommand({ UserName: 'bob' })))).toMatchObject({
      code: 'NoSuchEntity',
    });
  });
});

describe('IAM user policies, login profiles and MFA devices', () => {
  it('puts, lists, replaces and deletes inline policies, and refuses a document that is not JSON', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));

    // Act
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'b', PolicyDocument: DOC }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'a', PolicyDocument: DOC }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'a', PolicyDocument: DOC }));
    const listed = await iam.send(new ListUserPoliciesCommand({ UserName: 'bob' }));
    const malformed = await awsError(
      iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'c', PolicyDocument: '{not json' })),
    );
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'bob', PolicyName: 'a' }));
    const missing = await awsError(
      iam.send(new DeleteUserPolicyCommand({ UserName: 'bob', PolicyName: 'a' })),
    );

    // Assess
    expect(listed.PolicyNames).toEqual(['a', 'b']);
    expect(malformed).toMatchObject({
      code: 'MalformedPolicyDocument',
      status: 400,
      message: 'Syntax errors in policy.',
    });
    expect(missing).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'bob' }))).PolicyNames).toEqual(['b']);
  });

  it('reads an inline policy back URL-encoded, as IAM does, and answers NoSuchEntity for one that is not there', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));
    const document = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' } },
        },
      ],
    });
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'deny-old', PolicyDocument: document }),
    );
    await iam.send(new PutGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'g', PolicyDocument: DOC }));

    // Act
    const got = await iam.send(new GetUserPolicyCommand({ UserName: 'bob', PolicyName: 'deny-old' }));
    const group = await iam.send(new GetGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'g' }));
    const missing = await awsError(
      iam.send(new GetUserPolicyCommand({ UserName: 'bob', PolicyName: 'nope' })),
    );
    const noUser = await awsError(
      iam.send(new GetUserPolicyCommand({ UserName: 'carol', PolicyName: 'deny-old' })),
    );

    // Assess
    expect(got).toMatchObject({ UserName: 'bob', PolicyName: 'deny-old' });
    expect(got.PolicyDocument).toContain('%22Effect%22');
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ''))).toEqual(JSON.parse(document));
    expect(decodeURIComponent(group.PolicyDocument ?? '')).toBe(DOC);
    expect(missing).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(missing.message).toBe('The user policy with name nope cannot be found.');
    expect(noUser.message).toBe('The user with name carol cannot be found.');
  });

  it('attaches managed policies to a user idempotently, lists them, and stops at 10 (LimitExceeded)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    for (let i = 0; i < 10; i++) {
      const p = await iam.send(new CreatePolicyCommand({ PolicyName: `p${i}`, PolicyDocument: DOC }));
      await iam.send(new AttachUserPolicyCommand({ UserName: 'bob', PolicyArn: p.Policy?.Arn }));
      await iam.send(new AttachUserPolicyCommand({ UserName: 'bob', PolicyArn: p.Policy?.Arn }));
    }

    // Act
    const eleventh = await awsError(
      iam.send(new AttachUserPolicyCommand({ UserName: 'bob', PolicyArn: READ_ONLY })),
    );
    const listed = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'bob' }));

    // Assess
    expect(eleventh).toMatchObject({ code: 'LimitExceeded', status: 409 });
    expect(listed.AttachedPolicies).toHaveLength(10);
    expect(listed.AttachedPolicies?.[0]).toEqual({
      PolicyName: 'p0',
      PolicyArn: 'arn:aws:iam::000000000000:policy/p0',
    });
  });

  it('creates, reads and deletes a login profile, once', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));

    // Act
    const created = await iam.send(
      new CreateLoginProfileCommand({
        UserName: 'bob',
        Password: 'S3cret!pass',
        PasswordResetRequired: true,
      }),
    );
    const again = await awsError(
      iam.send(new CreateLoginProfileCommand({ UserName: 'bob', Password: 'S3cret!pass' })),
    );
    const got = await iam.send(new GetLoginProfileCommand({ UserName: 'bob' }));
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'bob' }));
    const gone = await awsError(iam.send(new GetLoginProfileCommand({ UserName: 'bob' })));

    // Assess
    expect(created.LoginProfile).toMatchObject({ UserName: 'bob', PasswordResetRequired: true });
    expect(again).toMatchObject({ code: 'EntityAlreadyExists', status: 409 });
    expect(got.LoginProfile?.UserName).toBe('bob');
    expect(gone).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it('lists the MFA devices a user was seeded with', async () => {
    // Prepare
    const { iam } = await emulatorWithClients({
      seed: { users: { bob: { name: 'bob', mfaDevices: ['arn:aws:iam::000000000000:mfa/bob'] } } },
    });

    // Act
    const listed = await iam.send(new ListMFADevicesCommand({ UserName: 'bob' }));

    // Assess
    expect(listed.MFADevices?.map((d) => d.SerialNumber)).toEqual(['arn:aws:iam::000000000000:mfa/bob']);
  });
});

describe('IAM access keys', () => {
  it('creates random AKIA keys with a 40-character secret, and lists them without the secret', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    const first = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const second = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));

    // Assess
    expect(first.AccessKey).toMatchObject({ UserName: 'alice', Status: 'Active' });
    expect(first.AccessKey?.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(first.AccessKey?.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(second.AccessKey?.AccessKeyId).not.toBe(first.AccessKey?.AccessKeyId);
    expect(listed.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([
      first.AccessKey?.AccessKeyId,
      second.AccessKey?.AccessKeyId,
    ]);
    expect(JSON.stringify(listed)).not.toContain(first.AccessKey?.SecretAccessKey);
  });

  it("refuses a third access key with LimitExceeded (409) and IAM's message", async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));

    // Act
    const error = await awsError(iam.send(new CreateAccessKeyCommand({ UserName: 'alice' })));

    // Assess
    expect(error).toEqual({
      code: 'LimitExceeded',
      status: 409,
      message: 'Cannot exceed quota for AccessKeysPerUser: 2',
    });
  });

  it('deletes a key by id and answers NoSuchEntity for an unknown one', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));

    // Act
    await iam.send(
      new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.AccessKey?.AccessKeyId }),
    );
    const again = await awsError(
      iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.AccessKey?.AccessKeyId })),
    );

    // Assess
    expect(again).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }))).AccessKeyMetadata).toEqual([]);
  });

  it('answers GetUser without a name with the user whose access key signed the request', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice', Path: '/onboarded/' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const asAlice = clientsFor(emulator, {
      accessKeyId: key.AccessKey?.AccessKeyId ?? '',
      secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
    }).iam;

    // Act
    const me = await asAlice.send(new GetUserCommand({}));
    const root = await iam.send(new GetUserCommand({}));

    // Assess
    expect(me.User?.Arn).toBe('arn:aws:iam::000000000000:user/onboarded/alice');
    expect(root.User?.Arn).toBe('arn:aws:iam::000000000000:root');
  });
});
