import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  GetGroupCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index.ts';
import { awsError, emulatorWithClients } from './helpers.ts';

const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
});
const POLICIES = ['ReadOnlyAccess', 'AmazonS3ReadOnlyAccess', 'CloudWatchReadOnlyAccess'].map(
  (n) => `arn:aws:iam::aws:policy/${n}`,
);

/** Three of everything a List call can return (two access keys: the quota), on u0 and g0. */
async function account(emulator: Emulator, iam: IAMClient): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await iam.send(new CreateUserCommand({ UserName: `u${i}`, Path: '/p/' }));
    await iam.send(new CreateGroupCommand({ GroupName: `g${i}`, Path: '/p/' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'g0', UserName: `u${i}` }));
    await iam.send(new AddUserToGroupCommand({ GroupName: `g${i}`, UserName: 'u0' }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'g0', PolicyArn: POLICIES[i] }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'u0', PolicyArn: POLICIES[i] }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'u0', PolicyName: `inline${i}`, PolicyDocument: DOC }),
    );
    await iam.send(
      new PutGroupPolicyCommand({ GroupName: 'g0', PolicyName: `inline${i}`, PolicyDocument: DOC }),
    );
    await iam.send(new TagUserCommand({ UserName: 'u0', Tags: [{ Key: `t${i}`, Value: 'v' }] }));
  }
  for (const service of ['ecs.amazonaws.com', 'rds.amazonaws.com', 'elasticache.amazonaws.com']) {
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: service }));
  }
  await iam.send(new CreateAccessKeyCommand({ UserName: 'u0' }));
  await iam.send(new CreateAccessKeyCommand({ UserName: 'u0' }));
  const state = emulator.snapshot();
  state.users.u0?.mfaDevices.push('mfa/a', 'mfa/b', 'mfa/c');
  emulator.seed(state);
}

interface Page {
  names: string[];
  IsTruncated?: boolean;
  Marker?: string;
}

type Pager = (iam: IAMClient, MaxItems: number, Marker?: string) => Promise<Page>;

const PAGERS: [string, Pager, number][] = [
  [
    'ListUsers',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListUsersCommand({ PathPrefix: '/p/', MaxItems, Marker }));
      return { ...o, names: (o.Users ?? []).map((x) => x.UserName ?? '') };
    },
    3,
  ],
  [
    'ListGroups',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListGroupsCommand({ MaxItems, Marker }));
      return { ...o, names: (o.Groups ?? []).map((x) => x.GroupName ?? '') };
    },
    3,
  ],
  [
    "GetGroup's Users",
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new GetGroupCommand({ GroupName: 'g0', MaxItems, Marker }));
      return { ...o, names: (o.Users ?? []).map((x) => x.UserName ?? '') };
    },
    3,
  ],
  [
    'ListGroupsForUser',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListGroupsForUserCommand({ UserName: 'u0', MaxItems, Marker }));
      return { ...o, names: (o.Groups ?? []).map((x) => x.GroupName ?? '') };
    },
    3,
  ],
  [
    'ListRoles',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListRolesCommand({ PathPrefix: '/aws-service-role/', MaxItems, Marker }));
      return { ...o, names: (o.Roles ?? []).map((x) => x.RoleName ?? '') };
    },
    3,
  ],
  [
    'ListAttachedGroupPolicies',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'g0', MaxItems, Marker }));
      return { ...o, names: (o.AttachedPolicies ?? []).map((x) => x.PolicyName ?? '') };
    },
    3,
  ],
  [
    'ListAttachedUserPolicies',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'u0', MaxItems, Marker }));
      return { ...o, names: (o.AttachedPolicies ?? []).map((x) => x.PolicyName ?? '') };
    },
    3,
  ],
  [
    'ListUserPolicies',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListUserPoliciesCommand({ UserName: 'u0', MaxItems, Marker }));
      return { ...o, names: o.PolicyNames ?? [] };
    },
    3,
  ],
  [
    'ListGroupPolicies',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListGroupPoliciesCommand({ GroupName: 'g0', MaxItems, Marker }));
      return { ...o, names: o.PolicyNames ?? [] };
    },
    3,
  ],
  [
    'ListUserTags',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListUserTagsCommand({ UserName: 'u0', MaxItems, Marker }));
      return { ...o, names: (o.Tags ?? []).map((x) => x.Key ?? '') };
    },
    3,
  ],
  [
    'ListMFADevices',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListMFADevicesCommand({ UserName: 'u0', MaxItems, Marker }));
      return { ...o, names: (o.MFADevices ?? []).map((x) => x.SerialNumber ?? '') };
    },
    3,
  ],
  [
    'ListAccessKeys',
    async (iam, MaxItems, Marker) => {
      const o = await iam.send(new ListAccessKeysCommand({ UserName: 'u0', MaxItems, Marker }));
      return { ...o, names: (o.AccessKeyMetadata ?? []).map((x) => x.AccessKeyId ?? '') };
    },
    2,
  ],
];

describe('IAM pagination', () => {
  it.each(PAGERS)('pages %s with Marker, IsTruncated and MaxItems', async (_name, pager, total) => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await account(emulator, iam);
    const whole = await pager(iam, 100);

    // Act
    const pages: Page[] = [];
    let marker: string | undefined;
    do {
      const page = await pager(iam, 2, marker);
      pages.push(page);
      marker = page.Marker;
    } while (marker && pages.length < 10);

    // Assess
    expect(whole.names).toHaveLength(total);
    expect(whole.IsTruncated).toBe(false);
    expect(pages).toHaveLength(Math.ceil(total / 2));
    expect(pages.map((p) => p.IsTruncated)).toEqual(pages.map((_, i) => i < pages.length - 1));
    expect(pages.flatMap((p) => p.names)).toEqual(whole.names);
  });

  it('refuses MaxItems outside 1 to 1000 and a marker it did not issue (ValidationError)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const zero = await awsError(iam.send(new ListUsersCommand({ MaxItems: 0 })));
    const tooMany = await awsError(iam.send(new ListUsersCommand({ MaxItems: 1001 })));
    const badMarker = await awsError(iam.send(new ListUsersCommand({ Marker: 'not-a-marker' })));

    // Assess
    expect(zero).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(tooMany.message).toBe(
      "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000",
    );
    expect(badMarker).toMatchObject({ code: 'ValidationError', status: 400 });
  });
});
