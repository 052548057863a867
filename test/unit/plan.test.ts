import { describe, expect, it } from 'vitest';
import type { GroupInfo, IamGateway, RoleInfo, UserInfo } from '../../src/gateways/iam.ts';
import type { SecretInfo, SecretStore } from '../../src/gateways/secrets.ts';
import { makePlan } from '../../src/plan.ts';
import { parseRequest } from '../../src/request.ts';
import { BOUNDARY, CACHE, READ_ONLY, runtime } from './fixtures.ts';

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
    group: 'developers',
    policyArns: [CACHE],
    serviceLinkedRoles: ['elasticache.amazonaws.com'],
    accessKey: true,
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
    const { deps } = account({ policies: [BOUNDARY, CACHE] });
    expect(await makePlan(request(), deps)).toEqual({
      user: { name: 'grace', path: runtime.userPath, permissionsBoundaryArn: BOUNDARY, create: true },
      group: { name: 'developers', path: runtime.groupPath, create: true },
      policies: [{ arn: CACHE, attach: true }],
      serviceLinkedRoles: [{ service: 'elasticache.amazonaws.com', create: true }],
      accessKey: { create: true, secretName: `${runtime.secretPrefix}grace/access-key` },
    });
  });

  it('records what already exists so the rollback never touches it', async () => {
    const { deps } = account({
      policies: [BOUNDARY, CACHE, READ_ONLY],
      groups: { developers: group('developers', runtime.groupPath, [READ_ONLY]) },
      roles: {
        'elasticache.amazonaws.com': {
          name: 'AWSServiceRoleForElastiCache',
          arn: 'arn:aws:iam::000000000000:role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache',
          description: '',
          tags: {},
        },
      },
    });
    const plan = await makePlan(request({ policyArns: [READ_ONLY, CACHE] }), deps);
    expect(plan.group).toEqual({ name: 'developers', path: runtime.groupPath, create: false });
    expect(plan.policies).toEqual([
      { arn: READ_ONLY, attach: false },
      { arn: CACHE, attach: true },
    ]);
    expect(plan.serviceLinkedRoles).toEqual([
      { service: 'elasticache.amazonaws.com', create: false, roleName: 'AWSServiceRoleForElastiCache' },
    ]);
  });

  it('does not read attachments of a group that does not exist yet', async () => {
    const { deps, reads } = account({ policies: [BOUNDARY, CACHE] });
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

  it('refuses a same-named group at another path, naming both paths', async () => {
    const { deps } = account({
      policies: [BOUNDARY, CACHE],
      groups: { developers: group('developers', '/', ['arn:aws:iam::aws:policy/AdministratorAccess']) },
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
      message: `policy ${CACHE} does not exist in the account`,
    });
  });

  it('refuses when the secret for the key is already taken, and says when it is only scheduled for deletion', async () => {
    const secretName = `${runtime.secretPrefix}grace/access-key`;
    const taken = {
      arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretName}-AbCdEf`,
      name: secretName,
      tags: {},
    };
    const { deps } = account({ policies: [BOUNDARY, CACHE], secrets: { [secretName]: taken } });
    await expect(makePlan(request(), deps)).rejects.toMatchObject({ name: 'SecretAlreadyExists' });
    const { deps: deleting } = account({
      policies: [BOUNDARY, CACHE],
      secrets: { [secretName]: { ...taken, deletedDate: new Date().toISOString() } },
    });
    await expect(makePlan(request(), deleting)).rejects.toThrow('(scheduled for deletion)');
  });

  it('without an access key it does not look at the secret and plans none', async () => {
    const { deps, reads } = account({ policies: [BOUNDARY, CACHE] });
    const plan = await makePlan(request({ accessKey: false }), deps);
    expect(plan.accessKey.create).toBe(false);
    expect(reads.some((r) => r.startsWith('describeSecret'))).toBe(false);
  });
});
