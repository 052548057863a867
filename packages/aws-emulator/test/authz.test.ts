import { generateKeyPairSync } from 'node:crypto';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteServiceLinkedRoleCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupCommand,
  GetUserCommand,
  ListSSHPublicKeysCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  TagUserCommand,
  UploadSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import type { PrincipalSpec } from '../src/index.ts';
import { awsError, clientsFor, controlCall, openEmulator } from './helpers.ts';

const ACCOUNT = '000000000000';
const iamArn = (rest: string) => `arn:aws:iam::${ACCOUNT}:${rest}`;
const BOUNDARY = iamArn('policy/boundary');
const role = (...Statement: Record<string, unknown>[]): PrincipalSpec => ({
  arn: iamArn('role/fn'),
  identityPolicies: [{ Version: '2012-10-17', Statement }],
});

/** An emulator with authorization on, the operator's clients and a role's. */
async function setUp(principal: PrincipalSpec) {
  const emulator = await openEmulator({ authorize: true, principals: { 'role-key': principal } });
  const admin = clientsFor(emulator, { accessKeyId: emulator.env.AWS_ACCESS_KEY_ID, secretAccessKey: 'x' });
  const fn = clientsFor(emulator, { accessKeyId: 'role-key', secretAccessKey: 'x' });
  await admin.iam.send(
    new CreatePolicyCommand({
      PolicyName: 'boundary',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['sts:*', 'iam:GetUser', 'secretsmanager:GetSecretValue'],
            Resource: '*',
          },
        ],
      }),
    }),
  );
  return { emulator, admin, fn };
}

describe('authorization', () => {
  it('allows every call while it is off (the default)', async () => {
    const emulator = await openEmulator();
    const { iam } = clientsFor(emulator, { accessKeyId: 'anyone', secretAccessKey: 'x' });
    await expect(iam.send(new ListUsersCommand({}))).resolves.toBeDefined();
  });

  it('refuses a key it neither issued nor knows, and lets the operator key do anything', async () => {
    const { emulator, admin } = await setUp(role());
    const stranger = clientsFor(emulator, { accessKeyId: 'stranger', secretAccessKey: 'x' });
    expect(await awsError(stranger.iam.send(new ListUsersCommand({})))).toMatchObject({
      code: 'InvalidClientTokenId',
      status: 403,
    });
    expect((await awsError(stranger.sm.send(new GetSecretValueCommand({ SecretId: 'x' })))).code).toBe(
      'UnrecognizedClientException',
    );
    await expect(admin.iam.send(new ListUsersCommand({}))).resolves.toBeDefined();
  });

  it('denies with AWS wording what no statement allows, and allows what one does', async () => {
    const { fn } = await setUp(
      role({ Effect: 'Allow', Action: 'iam:CreateGroup', Resource: iamArn('group/team/*') }),
    );
    await expect(
      fn.iam.send(new CreateGroupCommand({ GroupName: 'a', Path: '/team/' })),
    ).resolves.toBeDefined();
    const denied = await awsError(fn.iam.send(new CreateGroupCommand({ GroupName: 'b', Path: '/other/' })));
    expect(denied).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(denied.message).toBe(
      `User: ${iamArn('role/fn')} is not authorized to perform: iam:CreateGroup on resource: ${iamArn('group/other/b')} because no identity-based policy allows the iam:CreateGroup action`,
    );
  });

  it('evaluates iam:PermissionsBoundary, and CreateUser with tags as TagUser with aws:RequestTag', async () => {
    const { fn } = await setUp(
      role(
        {
          Effect: 'Allow',
          Action: 'iam:CreateUser',
          Resource: '*',
          Condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY } },
        },
        {
          Effect: 'Allow',
          Action: 'iam:TagUser',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestTag/owner': 'me' } },
        },
      ),
    );
    expect((await awsError(fn.iam.send(new CreateUserCommand({ UserName: 'a' })))).code).toBe('AccessDenied');
    await expect(
      fn.iam.send(new CreateUserCommand({ UserName: 'b', PermissionsBoundary: BOUNDARY })),
    ).resolves.toBeDefined();
    const tagged = await awsError(
      fn.iam.send(
        new CreateUserCommand({
          UserName: 'c',
          PermissionsBoundary: BOUNDARY,
          Tags: [{ Key: 'owner', Value: 'you' }],
        }),
      ),
    );
    expect(tagged.message).toContain('iam:TagUser');
    await expect(
      fn.iam.send(
        new CreateUserCommand({
          UserName: 'd',
          PermissionsBoundary: BOUNDARY,
          Tags: [{ Key: 'owner', Value: 'me' }],
        }),
      ),
    ).resolves.toBeDefined();
  });

  it('reads iam:ResourceTag from the target user as the account holds it', async () => {
    const { admin, fn } = await setUp(
      role({
        Effect: 'Allow',
        Action: 'iam:TagUser',
        Resource: '*',
        Condition: { StringEquals: { 'iam:ResourceTag/owner': 'me' } },
      }),
    );
    await admin.iam.send(new CreateUserCommand({ UserName: 'mine', Tags: [{ Key: 'owner', Value: 'me' }] }));
    await admin.iam.send(
      new CreateUserCommand({ UserName: 'theirs', Tags: [{ Key: 'owner', Value: 'them' }] }),
    );
    const tag = [{ Key: 'x', Value: 'y' }];
    await expect(fn.iam.send(new TagUserCommand({ UserName: 'mine', Tags: tag }))).resolves.toBeDefined();
    expect((await awsError(fn.iam.send(new TagUserCommand({ UserName: 'theirs', Tags: tag })))).code).toBe(
      'AccessDenied',
    );
  });

  it('evaluates iam:PolicyARN and iam:AWSServiceName', async () => {
    const { admin, fn } = await setUp(
      role(
        {
          Effect: 'Allow',
          Action: 'iam:AttachGroupPolicy',
          Resource: '*',
          Condition: { ArnEquals: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/ReadOnlyAccess' } },
        },
        {
          Effect: 'Allow',
          Action: 'iam:CreateServiceLinkedRole',
          Resource: '*',
          Condition: { StringEquals: { 'iam:AWSServiceName': 'ecs.amazonaws.com' } },
        },
      ),
    );
    await admin.iam.send(new CreateGroupCommand({ GroupName: 'g' }));
    await expect(
      fn.iam.send(
        new AttachGroupPolicyCommand({ GroupName: 'g', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
      ),
    ).resolves.toBeDefined();
    expect(
      (
        await awsError(
          fn.iam.send(
            new AttachGroupPolicyCommand({
              GroupName: 'g',
              PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
            }),
          ),
        )
      ).code,
    ).toBe('AccessDenied');
    await expect(
      fn.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' })),
    ).resolves.toBeDefined();
    expect(
      (
        await awsError(
          fn.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'rds.amazonaws.com' })),
        )
      ).code,
    ).toBe('AccessDenied');
  });

  it('evaluates a path-scoped read of a missing user on user/<name>: AccessDenied, not NoSuchEntity', async () => {
    const { fn } = await setUp(
      role({ Effect: 'Allow', Action: 'iam:GetUser', Resource: iamArn('user/team/*') }),
    );
    expect((await awsError(fn.iam.send(new GetUserCommand({ UserName: 'nobody' })))).code).toBe(
      'AccessDenied',
    );
  });

  it('evaluates a delete before it looks: a target that is gone is AccessDenied to a tag- or path-scoped role', async () => {
    // The retry of a delete whose answer was lost, as IAM answers it: what is gone carries no tag and
    // no path any more, so a role that needs them cannot match it.
    const mine = { StringEquals: { 'aws:ResourceTag/owner': 'me' } };
    const { admin, fn } = await setUp(
      role(
        { Effect: 'Allow', Action: 'iam:DeleteUser', Resource: iamArn('user/team/*'), Condition: mine },
        { Effect: 'Allow', Action: 'iam:DeleteGroup', Resource: iamArn('group/team/g') },
        {
          Effect: 'Allow',
          Action: 'iam:DeleteServiceLinkedRole',
          Resource: iamArn('role/aws-service-role/ecs.amazonaws.com/*'),
        },
        { Effect: 'Allow', Action: 'secretsmanager:DeleteSecret', Resource: '*', Condition: mine },
        // The read-backs that tell "gone" from "refused" name the target as IAM evaluates a missing one.
        { Effect: 'Allow', Action: ['iam:GetUser', 'iam:GetGroup'], Resource: '*' },
        { Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: '*' },
      ),
    );
    const tags = [{ Key: 'owner', Value: 'me' }];
    await admin.iam.send(new CreateUserCommand({ UserName: 'u', Path: '/team/', Tags: tags }));
    await admin.iam.send(new CreateGroupCommand({ GroupName: 'g', Path: '/team/' }));
    await admin.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }));
    await admin.sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'x', Tags: tags }));
    const slr = 'AWSServiceRoleForECS';

    // Present: each delete is allowed and done.
    await expect(fn.iam.send(new DeleteUserCommand({ UserName: 'u' }))).resolves.toBeDefined();
    await expect(fn.iam.send(new DeleteGroupCommand({ GroupName: 'g' }))).resolves.toBeDefined();
    await expect(fn.iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: slr }))).resolves.toBeDefined();
    await expect(
      fn.sm.send(new DeleteSecretCommand({ SecretId: 's', ForceDeleteWithoutRecovery: true })),
    ).resolves.toBeDefined();

    // Gone: the same deletes again are AccessDenied, not NoSuchEntity / ResourceNotFound.
    const retried = [
      fn.iam.send(new DeleteUserCommand({ UserName: 'u' })),
      fn.iam.send(new DeleteGroupCommand({ GroupName: 'g' })),
      fn.iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: slr })),
    ];
    for (const call of retried) {
      const denied = await awsError(call);
      expect(denied.code).toBe('AccessDenied');
      expect(denied.status).toBe(403);
    }
    expect(
      (
        await awsError(
          fn.sm.send(new DeleteSecretCommand({ SecretId: 's', ForceDeleteWithoutRecovery: true })),
        )
      ).code,
    ).toBe('AccessDeniedException');

    // A read the role may do on a missing name says what the retried delete could not: gone.
    expect((await awsError(fn.iam.send(new GetUserCommand({ UserName: 'u' })))).code).toBe('NoSuchEntity');
    expect((await awsError(fn.iam.send(new GetGroupCommand({ GroupName: 'g' })))).code).toBe('NoSuchEntity');
    expect((await awsError(fn.sm.send(new DescribeSecretCommand({ SecretId: 's' })))).code).toBe(
      'ResourceNotFoundException',
    );
  });

  it("evaluates a delete of a target that is there but not the role's: AccessDenied, and it is still there", async () => {
    const { admin, fn } = await setUp(
      role({
        Effect: 'Allow',
        Action: 'iam:DeleteUser',
        Resource: '*',
        Condition: { StringEquals: { 'iam:ResourceTag/owner': 'me' } },
      }),
    );
    await admin.iam.send(
      new CreateUserCommand({ UserName: 'theirs', Tags: [{ Key: 'owner', Value: 'them' }] }),
    );
    expect((await awsError(fn.iam.send(new DeleteUserCommand({ UserName: 'theirs' })))).code).toBe(
      'AccessDenied',
    );
    await expect(admin.iam.send(new GetUserCommand({ UserName: 'theirs' }))).resolves.toBeDefined();
  });

  it("evaluates a user's own key as boundary ∩ identity, and a secret's resource policy", async () => {
    const { emulator, admin } = await setUp(role());
    await admin.iam.send(new CreateGroupCommand({ GroupName: 'readers' }));
    await admin.iam.send(new CreateUserCommand({ UserName: 'ada', PermissionsBoundary: BOUNDARY }));
    await admin.iam.send(new AddUserToGroupCommand({ GroupName: 'readers', UserName: 'ada' }));
    await admin.iam.send(
      new AttachGroupPolicyCommand({
        GroupName: 'readers',
        PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    );
    await admin.iam.send(
      new PutUserPolicyCommand({
        UserName: 'ada',
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' }],
        }),
      }),
    );
    const key = (await admin.iam.send(new CreateAccessKeyCommand({ UserName: 'ada' }))).AccessKey;
    const ada = clientsFor(emulator, {
      accessKeyId: key?.AccessKeyId ?? '',
      secretAccessKey: key?.SecretAccessKey ?? '',
    });
    expect((await ada.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(iamArn('user/ada'));
    await expect(ada.iam.send(new GetUserCommand({}))).resolves.toBeDefined();
    // AdministratorAccess and the inline policy allow it; the boundary does not.
    const capped = await awsError(ada.iam.send(new ListUsersCommand({})));
    expect(capped.code).toBe('AccessDenied');
    expect(capped.message).toContain('because no permissions boundary allows the iam:ListUsers action');

    await admin.sm.send(new CreateSecretCommand({ Name: 'mine', SecretString: 's' }));
    await admin.sm.send(new CreateSecretCommand({ Name: 'theirs', SecretString: 's' }));
    await admin.sm.send(
      new PutResourcePolicyCommand({
        SecretId: 'theirs',
        ResourcePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: '*',
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
              Condition: { StringNotEquals: { 'aws:PrincipalArn': iamArn('user/bob') } },
            },
          ],
        }),
      }),
    );
    expect((await ada.sm.send(new GetSecretValueCommand({ SecretId: 'mine' }))).SecretString).toBe('s');
    const refused = await awsError(ada.sm.send(new GetSecretValueCommand({ SecretId: 'theirs' })));
    expect(refused.code).toBe('AccessDeniedException');
    expect(refused.message).toContain('explicit deny in a resource-based policy');
  });

  it('evaluates AWS managed policies by their real documents', async () => {
    const { emulator, admin } = await setUp(role());
    await admin.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'open-boundary',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const userWith = async (name: string, policy: string) => {
      await admin.iam.send(
        new CreateUserCommand({ UserName: name, PermissionsBoundary: iamArn('policy/open-boundary') }),
      );
      await admin.iam.send(new CreateGroupCommand({ GroupName: `${name}-group` }));
      await admin.iam.send(new AddUserToGroupCommand({ GroupName: `${name}-group`, UserName: name }));
      await admin.iam.send(
        new AttachGroupPolicyCommand({
          GroupName: `${name}-group`,
          PolicyArn: `arn:aws:iam::aws:policy/${policy}`,
        }),
      );
      const key = (await admin.iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
      return clientsFor(emulator, {
        accessKeyId: key?.AccessKeyId ?? '',
        secretAccessKey: key?.SecretAccessKey ?? '',
      });
    };

    // AmazonElastiCacheFullAccess grants the ElastiCache service-linked role, and only that one.
    const dev = await userWith('dev', 'AmazonElastiCacheFullAccess');
    await expect(
      dev.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'elasticache.amazonaws.com' })),
    ).resolves.toBeDefined();
    const other = await awsError(
      dev.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' })),
    );
    expect(other.code).toBe('AccessDenied');

    // ReadOnlyAccess lists users but does not read secret values (a "*:Get*" reading would).
    await admin.sm.send(new CreateSecretCommand({ Name: 'plain', SecretString: 's' }));
    const reader = await userWith('reader', 'ReadOnlyAccess');
    await expect(reader.iam.send(new ListUsersCommand({}))).resolves.toBeDefined();
    expect((await awsError(reader.sm.send(new GetSecretValueCommand({ SecretId: 'plain' })))).code).toBe(
      'AccessDeniedException',
    );
  });

  it("evaluates a leaver's credential actions on the user they name, and GetAccessKeyLastUsed on the key's owner", async () => {
    // Prepare: a role that may list and read but not delete, under /staff/ only.
    const { admin, fn } = await setUp(
      role({
        Effect: 'Allow',
        Action: ['iam:ListSSHPublicKeys', 'iam:GetAccessKeyLastUsed'],
        Resource: iamArn('user/staff/*'),
      }),
    );
    await admin.iam.send(new CreateUserCommand({ UserName: 'leaver', Path: '/staff/' }));
    await admin.iam.send(new CreateUserCommand({ UserName: 'other' }));
    const body = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      format: 'pem',
      type: 'spki',
    }) as string;
    const uploaded = await admin.iam.send(
      new UploadSSHPublicKeyCommand({ UserName: 'leaver', SSHPublicKeyBody: body }),
    );
    const key = await admin.iam.send(new CreateAccessKeyCommand({ UserName: 'leaver' }));
    const otherKey = await admin.iam.send(new CreateAccessKeyCommand({ UserName: 'other' }));

    // Act
    const listed = await fn.iam.send(new ListSSHPublicKeysCommand({ UserName: 'leaver' }));
    const lastUsed = await fn.iam.send(
      new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKey?.AccessKeyId }),
    );
    const remove = await awsError(
      fn.iam.send(
        new DeleteSSHPublicKeyCommand({
          UserName: 'leaver',
          SSHPublicKeyId: uploaded.SSHPublicKey?.SSHPublicKeyId,
        }),
      ),
    );
    const outside = await awsError(fn.iam.send(new ListSSHPublicKeysCommand({ UserName: 'other' })));
    const otherLastUsed = await awsError(
      fn.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: otherKey.AccessKey?.AccessKeyId })),
    );

    // Assess
    expect(listed.SSHPublicKeys).toHaveLength(1);
    expect(lastUsed.UserName).toBe('leaver');
    expect(remove).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(remove.message).toContain(`iam:DeleteSSHPublicKey on resource: ${iamArn('user/staff/leaver')}`);
    expect(outside.message).toContain(`iam:ListSSHPublicKeys on resource: ${iamArn('user/other')}`);
    expect(otherLastUsed.message).toContain(`iam:GetAccessKeyLastUsed on resource: ${iamArn('user/other')}`);
  });

  it('is switched and given principals through the control endpoints', async () => {
    const emulator = await openEmulator();
    const stranger = clientsFor(emulator, { accessKeyId: 'fn', secretAccessKey: 'x' });
    await controlCall(emulator, 'PUT', 'authorization', { enabled: true });
    expect((await awsError(stranger.iam.send(new ListUsersCommand({})))).code).toBe('InvalidClientTokenId');
    await controlCall(emulator, 'POST', 'principals', {
      accessKeyId: 'fn',
      arn: iamArn('role/fn'),
      identityPolicies: [
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' }] },
      ],
    });
    await expect(stranger.iam.send(new ListUsersCommand({}))).resolves.toBeDefined();
    expect(emulator.authorization.enabled).toBe(true);
  });
});
