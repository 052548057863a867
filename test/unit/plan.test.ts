import { describe, expect, it } from 'vitest';
import { type Profile, selfServicePolicyArn } from '../../src/config.ts';
import type { GroupInfo, IamGateway, RoleInfo, UserInfo } from '../../src/gateways/iam.ts';
import type { SecretInfo, SecretStore } from '../../src/gateways/secrets.ts';
import { describePlan, driftRepairOf, makePlan } from '../../src/plan.ts';
import { parseRequest } from '../../src/request.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { boundaryOf, CACHE, READ_ONLY, runtime } from './fixtures.ts';

const BOUNDARY = boundaryOf('elasticache-developer');
const CW_READ = 'arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess';
const GROUP = 'elasticache-developers';
const SELF_SERVICE = selfServicePolicyArn(runtime, runtime.iamArnPrefix);

interface Account {
  users?: Record<string, UserInfo>;
  groups?: Record<string, GroupInfo & { policies: string[] }>;
  policies?: string[];
  roles?: Record<string, RoleInfo>;
  secrets?: Record<string, SecretInfo>;
}

/** An account the plan reads through fakes of the two gateways; it records what was asked. */
function account(a: Account) {
  const reads: string[] = [];
  const read = <T>(what: string, value: T) => {
    reads.push(what);
    return Promise.resolve(value);
  };
  const iam = {
    getUser: (name: string) => read(`getUser ${name}`, a.users?.[name]),
    policyExists: (arn: string) => read(`policyExists ${arn}`, (a.policies ?? []).includes(arn)),
    groupExists: (name: string) => {
      const g = a.groups?.[name];
      return read(`groupExists ${name}`, g && { name: g.name, arn: g.arn, path: g.path });
    },
    listAttachedGroupPolicies: (name: string) =>
      read(`listAttached ${name}`, a.groups?.[name]?.policies ?? []),
    findServiceLinkedRole: (service: string) => read(`findSlr ${service}`, a.roles?.[service]),
  } as Partial<IamGateway> as IamGateway;
  const secrets = {
    describeSecret: (name: string) => read(`describeSecret ${name}`, a.secrets?.[name]),
  } as Partial<SecretStore> as SecretStore;
  return { deps: { iam, secrets, config: runtime }, reads };
}

const request = (over: Record<string, unknown> = {}) =>
  parseRequest({
    requestId: 'HR-1',
    userName: 'grace',
    profile: 'elasticache-developer',
    contact: { recipient: TEST_HIRE_RECIPIENT },
    policyArns: [CW_READ],
    ...over,
  });

const group = (name: string, path: string, policies: string[] = []) => ({
  name,
  path,
  arn: `arn:aws:iam::000000000000:group${path}${name}`,
  policies,
});

describe('makePlan', () => {
  it('on an empty account plans to create everything, under the configured paths and boundary', async () => {
    const { deps } = account({ policies: [BOUNDARY, SELF_SERVICE, CACHE, CW_READ] });
    expect(await makePlan(request(), deps)).toEqual({
      profile: {
        name: 'elasticache-developer',
        privileged: false,
        approval: 'not-needed',
        boundary: 'elasticache-developer',
      },
      user: { name: 'grace', path: runtime.userPath, permissionsBoundaryArn: BOUNDARY, create: true },
      group: { name: GROUP, path: runtime.groupPath, create: true, otherPolicies: [] },
      policies: [{ arn: CACHE, attach: true }],
      userPolicies: [
        { arn: SELF_SERVICE, reason: 'self-service' },
        { arn: CW_READ, reason: 'requested' },
      ],
      serviceLinkedRoles: [{ service: 'elasticache.amazonaws.com', create: true }],
      loginProfile: { create: true },
      accessKey: {
        create: true,
        secretName: `${runtime.secretPrefix}grace/access-key`,
        delivery: 'recipient',
      },
    });
  });

  it("takes the group's policies from the profile, never from the request, and records the group's drift", async () => {
    const { deps } = account({
      policies: [BOUNDARY, SELF_SERVICE, CACHE, READ_ONLY, CW_READ],
      // The existing group lacks the profile's policy and carries one the profile does not name.
      groups: { [GROUP]: group(GROUP, runtime.groupPath, [READ_ONLY]) },
      roles: {
        'elasticache.amazonaws.com': {
          name: 'AWSServiceRoleForElastiCache',
          arn: 'arn:aws:iam::000000000000:role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache',
          description: '',
          tags: {},
        },
      },
    });
    const plan = await makePlan(request(), deps);
    expect(plan.group).toEqual({
      name: GROUP,
      path: runtime.groupPath,
      create: false,
      otherPolicies: [READ_ONLY],
    });
    expect(plan.policies).toEqual([{ arn: CACHE, attach: true }]);
    expect(plan.userPolicies).toEqual([
      { arn: SELF_SERVICE, reason: 'self-service' },
      { arn: CW_READ, reason: 'requested' },
    ]);
    expect(driftRepairOf(plan)).toEqual([CACHE]);
    expect(describePlan(plan).map((l) => l.action)).toEqual(
      expect.arrayContaining([
        'attach to existing group (drift repair)',
        'on group, not in profile (left alone)',
      ]),
    );
    expect(plan.serviceLinkedRoles).toEqual([
      { service: 'elasticache.amazonaws.com', create: false, roleName: 'AWSServiceRoleForElastiCache' },
    ]);
  });

  it('does not read attachments of a group that does not exist yet', async () => {
    const { deps, reads } = account({ policies: [BOUNDARY, SELF_SERVICE, CACHE, CW_READ] });
    await makePlan(request(), deps);
    expect(reads.some((r) => r.startsWith('listAttached'))).toBe(false);
  });

  it('refuses to take over an existing user, naming it, before reading anything else', async () => {
    const { deps, reads } = account({
      policies: [BOUNDARY, CACHE],
      users: {
        grace: {
          name: 'grace',
          arn: 'arn:aws:iam::000000000000:user/grace',
          userId: 'AIDA1',
          path: '/',
          tags: {},
        },
      },
    });
    await expect(makePlan(request(), deps)).rejects.toMatchObject({
      name: 'UserAlreadyExists',
      message: expect.stringContaining('arn:aws:iam::000000000000:user/grace'),
    });
    expect(reads).toEqual(['getUser grace']);
  });

  it('refuses when the permissions boundary is missing from the account', async () => {
    const { deps } = account({ policies: [CACHE] });
    await expect(makePlan(request(), deps)).rejects.toMatchObject({
      name: 'PolicyNotFound',
      message: expect.stringContaining(BOUNDARY),
    });
  });

  it('refuses when the self-service policy is missing, naming it and `onboard bootstrap`', async () => {
    const { deps } = account({ policies: [BOUNDARY, CACHE, CW_READ] });
    await expect(makePlan(request(), deps)).rejects.toMatchObject({
      name: 'PolicyNotFound',
      message: expect.stringMatching(
        new RegExp(`self-service policy ${SELF_SERVICE}.*run \`onboard bootstrap\``),
      ),
    });
  });

  it('refuses a same-named group at another path, naming both paths', async () => {
    const { deps } = account({
      policies: [BOUNDARY, CACHE],
      groups: { [GROUP]: group(GROUP, '/', ['arn:aws:iam::aws:policy/AdministratorAccess']) },
    });
    const refusal = makePlan(request(), deps);
    await expect(refusal).rejects.toMatchObject({ name: 'RequestNotAllowed' });
    await expect(refusal).rejects.toThrow(
      `exists at path /, not under the configured groupPath ${runtime.groupPath}`,
    );
  });

  it('refuses a policy the account does not have', async () => {
    const { deps } = account({ policies: [BOUNDARY] });
    await expect(makePlan(request(), deps)).rejects.toMatchObject({
      name: 'PolicyNotFound',
      message: `policy ${CACHE} (profiles.elasticache-developer.groupPolicyArns) does not exist in the account`,
    });
  });

  it('refuses when the secret for the key is already taken, and says when it is only scheduled for deletion', async () => {
    const secretName = `${runtime.secretPrefix}grace/access-key`;
    const profile = runtime.profiles['elasticache-developer'] as Profile;
    const config = {
      ...runtime,
      profiles: {
        ...runtime.profiles,
        'elasticache-developer': {
          ...profile,
          credentials: { ...profile.credentials, accessKeyDelivery: 'secrets-manager' as const },
        },
      },
    };
    const taken = {
      arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretName}-AbCdEf`,
      name: secretName,
      tags: {},
    };
    const { deps } = account({
      policies: [BOUNDARY, SELF_SERVICE, CACHE, CW_READ],
      secrets: { [secretName]: taken },
    });
    await expect(makePlan(request(), { ...deps, config })).rejects.toMatchObject({
      name: 'SecretAlreadyExists',
    });
    const { deps: deleting } = account({
      policies: [BOUNDARY, SELF_SERVICE, CACHE, CW_READ],
      secrets: { [secretName]: { ...taken, deletedDate: new Date().toISOString() } },
    });
    await expect(makePlan(request(), { ...deleting, config })).rejects.toThrow('(scheduled for deletion)');
  });

  it('without an access key in the profile it does not look at the secret and plans none', async () => {
    const { deps, reads } = account({ policies: [BOUNDARY, SELF_SERVICE, CACHE, CW_READ] });
    const profile = runtime.profiles['elasticache-developer'] as Profile;
    const config = {
      ...runtime,
      profiles: {
        ...runtime.profiles,
        'elasticache-developer': { ...profile, credentials: { ...profile.credentials, accessKey: false } },
      },
    };
    const plan = await makePlan(request(), { ...deps, config });
    expect(plan.accessKey.create).toBe(false);
    expect(reads.some((r) => r.startsWith('describeSecret'))).toBe(false);
  });

  it('plans a privileged profile under its own boundary, marked as needing an approval', async () => {
    const sfn = boundaryOf('stepfunctions-admin');
    const console = 'arn:aws:iam::aws:policy/AWSStepFunctionsConsoleFullAccess';
    const { deps } = account({ policies: [sfn, SELF_SERVICE, console] });
    const plan = await makePlan(
      request({
        profile: 'stepfunctions-admin',
        contact: { recipient: TEST_HIRE_RECIPIENT },
        policyArns: [],
      }),
      deps,
    );
    expect(plan.profile).toEqual({
      name: 'stepfunctions-admin',
      privileged: true,
      approval: 'required',
      boundary: 'stepfunctions-admin',
    });
    expect(plan.user.permissionsBoundaryArn).toBe(sfn);
    expect(plan.group.name).toBe('stepfunctions-admins');
    expect(plan.policies).toEqual([{ arn: console, attach: true }]);
  });
});
