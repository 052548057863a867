import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from './errors.ts';
import type { CallContext, QueryService } from './router.ts';
import {
  type EmGroup,
  type EmRole,
  type EmTag,
  type EmUser,
  type EmulatorState,
  key,
  pageOffset,
  pageToken,
  randomId,
} from './state.ts';
import type { XmlValue } from './xml.ts';

/** IAM over the emulated account: each action takes the awsQuery parameters and returns its Result. */

type Params = URLSearchParams;
type Action = (p: Params, s: EmulatorState, ctx: CallContext) => XmlValue;

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** Every AWS managed policy the emulator knows (GetPolicy, attach, boundary): the common ones. */
export const AWS_MANAGED_POLICIES: readonly string[] = [
  'AdministratorAccess',
  'PowerUserAccess',
  'ReadOnlyAccess',
  'IAMUserChangePassword',
  'IAMReadOnlyAccess',
  'AmazonS3ReadOnlyAccess',
  'AmazonS3FullAccess',
  'AmazonEC2ReadOnlyAccess',
  'AmazonEC2FullAccess',
  'AmazonElastiCacheFullAccess',
  'AmazonElastiCacheReadOnlyAccess',
  'AmazonRDSReadOnlyAccess',
  'AmazonDynamoDBReadOnlyAccess',
  'CloudWatchReadOnlyAccess',
  'CloudWatchLogsReadOnlyAccess',
  'AWSCodeCommitPowerUser',
  'AWSCodeCommitReadOnly',
  'AmazonSQSReadOnlyAccess',
  'AmazonSNSReadOnlyAccess',
  'AWSLambda_ReadOnlyAccess',
  'SecretsManagerReadWrite',
  'job-function/ViewOnlyAccess',
  'job-function/Billing',
].map((name) => `arn:aws:iam::aws:policy/${name}`);

/** The role a service names for itself when asked for its service-linked role. */
export const SERVICE_LINKED_ROLE_NAMES: Readonly<Record<string, string>> = {
  'elasticache.amazonaws.com': 'AWSServiceRoleForElastiCache',
  'ecs.amazonaws.com': 'AWSServiceRoleForECS',
  'elasticloadbalancing.amazonaws.com': 'AWSServiceRoleForElasticLoadBalancing',
  'rds.amazonaws.com': 'AWSServiceRoleForRDS',
  'autoscaling.amazonaws.com': 'AWSServiceRoleForAutoScaling',
  'opensearchservice.amazonaws.com': 'AWSServiceRoleForAmazonOpenSearchService',
};

const LIMITS = {
  accessKeysPerUser: 2,
  policiesPerGroup: 10,
  policiesPerUser: 10,
  groupsPerUser: 10,
  tags: 50,
};

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^\/$|^\/[\u0021-\u007E]+\/$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const POLICY_ARN = /^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/.+/;
const DELETION_TASK = /^task\/aws-service-role\/[^/]+\/[^/]+\/[\w-]+$/;

const now = () => new Date().toISOString();

/** IAM's wording for a field that fails its model constraint (the value itself is not echoed). */
const constraint = (field: string, rule: string) =>
  new AwsError(
    'ValidationError',
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${rule}`,
  );

function required(p: Params, name: string): string {
  const value = p.get(name);
  if (value === null) throw constraint(name[0]?.toLowerCase() + name.slice(1), 'Member must not be null');
  return value;
}

function checkLength(value: string, field: string, min: number, max: number): void {
  if (value.length < min) throw constraint(field, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw constraint(field, `Member must have length less than or equal to ${max}`);
}

/** User, group, role and policy names: `[\w+=,.@-]`, with a per-field maximum length. */
function checkName(value: string, field: string, max: number): string {
  checkLength(value, field, 1, max);
  if (!NAME.test(value)) {
    throw new AwsError(
      'ValidationError',
      `The specified value for ${field} is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-`,
    );
  }
  return value;
}

/** A new user's name is at most 64 characters; one that is looked up may be up to 128 (IAM's model). */
const userName = (p: Params, creating = false) =>
  checkName(required(p, 'UserName'), 'userName', creating ? 64 : 128);
const groupName = (p: Params) => checkName(required(p, 'GroupName'), 'groupName', 128);
const roleName = (p: Params) => checkName(required(p, 'RoleName'), 'roleName', 64);
const policyName = (p: Params) => checkName(required(p, 'PolicyName'), 'policyName', 128);

function checkPath(value: string | null, field = 'path'): string {
  const path = value ?? '/';
  checkLength(path, field, 1, 512);
  if (!PATH.test(path)) {
    throw new AwsError(
      'ValidationError',
      `The specified value for ${field} is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
    );
  }
  return path;
}

function checkPolicyDocument(document: string): string {
  checkLength(document, 'policyDocument', 1, 131_072);
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
  return document;
}

/** `Tags.member.1.Key=...`: awsQuery's list of structures, as [wire index, fields] in order. */
function members(p: Params, list: string): [number, Record<string, string>][] {
  const found = new Map<number, Record<string, string>>();
  const prefix = `${list}.member.`;
  for (const [k, v] of p) {
    if (!k.startsWith(prefix)) continue;
    const [index = '', field] = k.slice(prefix.length).split('.');
    const i = Number(index);
    const entry = found.get(i) ?? {};
    entry[field ?? ''] = v;
    found.set(i, entry);
  }
  return [...found].sort(([a], [b]) => a - b);
}

function tagsOf(p: Params, quota: string): EmTag[] {
  const tags: EmTag[] = [];
  for (const [i, m] of members(p, 'Tags')) {
    for (const field of ['Key', 'Value'] as const) {
      if (m[field] === undefined) {
        throw new AwsError(
          'MissingParameter',
          `The request must contain the parameter Tags.member.${i}.${field}.`,
        );
      }
    }
    const tag = { Key: m.Key ?? '', Value: m.Value ?? '' };
    checkLength(tag.Key, `tags.${i}.member.key`, 1, 128);
    if (!TAG_TEXT.test(tag.Key)) {
      throw constraint(
        `tags.${i}.member.key`,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      );
    }
    checkLength(tag.Value, `tags.${i}.member.value`, 0, 256);
    if (!TAG_TEXT.test(tag.Value)) {
      throw constraint(
        `tags.${i}.member.value`,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
      );
    }
    tags.push(tag);
  }
  if (new Set(tags.map((t) => t.Key.toLowerCase())).size !== tags.length) {
    throw new AwsError(
      'InvalidInput',
      'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
    );
  }
  if (tags.length > LIMITS.tags)
    throw new AwsError('LimitExceeded', `Cannot exceed quota for ${quota}: ${LIMITS.tags}`);
  return tags;
}

/** Tag keys are case-insensitive: a new value for "Team" replaces the one of "team". */
function mergeTags(existing: EmTag[], added: EmTag[]): EmTag[] {
  const byKey = new Map(existing.map((t) => [t.Key.toLowerCase(), t]));
  for (const t of added) byKey.set(t.Key.toLowerCase(), t);
  return [...byKey.values()];
}

/** Marker / IsTruncated / MaxItems, as every IAM List call pages (the marker is opaque to clients). */
function page<T>(items: T[], p: Params): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const raw = p.get('MaxItems');
  const max = raw === null ? 100 : Number(raw);
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
    );
  }
  const marker = p.get('Marker');
  const start = marker === null ? 0 : pageOffset(marker);
  if (start === undefined) throw new AwsError('ValidationError', 'Invalid Marker.');
  const truncated = start + max < items.length;
  return {
    items: items.slice(start, start + max),
    IsTruncated: truncated,
    ...(truncated ? { Marker: pageToken(start + max) } : {}),
  };
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const arn = (s: EmulatorState, kind: string, path: string, name: string) =>
  `arn:aws:iam::${s.accountId}:${kind}${path}${name}`;

function getUser(s: EmulatorState, name: string): EmUser {
  const user = s.users[key(name)];
  if (!user) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`);
  return user;
}

function getGroup(s: EmulatorState, name: string): EmGroup {
  const group = s.groups[key(name)];
  if (!group) throw new AwsError('NoSuchEntity', `The group with name ${name} cannot be found.`);
  return group;
}

function getRole(s: EmulatorState, name: string): EmRole {
  const role = s.roles[key(name)];
  if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`);
  return role;
}

/** GetUser and CreateUser answer tags and the boundary; list calls do not (as IAM). */
function userXml(s: EmulatorState, u: EmUser, full: boolean) {
  return {
    Path: u.path,
    UserName: u.name,
    UserId: u.id,
    Arn: arn(s, 'user', u.path, u.name),
    CreateDate: u.created,
    ...(full && u.boundary
      ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: u.boundary } }
      : {}),
    ...(full && u.tags.length ? { Tags: u.tags } : {}),
  };
}

const groupXml = (s: EmulatorState, g: EmGroup) => ({
  Path: g.path,
  GroupName: g.name,
  GroupId: g.id,
  Arn: arn(s, 'group', g.path, g.name),
  CreateDate: g.created,
});

const roleXml = (s: EmulatorState, r: EmRole) => ({
  Path: r.path,
  RoleName: r.name,
  RoleId: r.id,
  Arn: arn(s, 'role', r.path, r.name),
  CreateDate: r.created,
  // IAM answers policy documents URL-encoded.
  AssumeRolePolicyDocument: encodeURIComponent(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: r.service ?? 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      ],
    }),
  ),
  ...(r.description ? { Description: r.description } : {}),
  MaxSessionDuration: 3600,
  ...(r.tags.length ? { Tags: r.tags } : {}),
});

interface PolicyInfo {
  arn: string;
  name: string;
  path: string;
  id: string;
  created: string;
  description: string;
}

/** AWS managed policies have stable ids; derive one from the name so that every run agrees. */
function managedPolicy(policyArn: string): PolicyInfo | undefined {
  if (!AWS_MANAGED_POLICIES.includes(policyArn)) return undefined;
  const full = policyArn.slice('arn:aws:iam::aws:policy'.length);
  const name = full.slice(full.lastIndexOf('/') + 1);
  const letters = name.toUpperCase().replace(/[^A-Z]/g, '');
  return {
    arn: policyArn,
    name,
    path: full.slice(0, full.lastIndexOf('/') + 1),
    id: `ANPA${letters.slice(0, 17).padEnd(17, 'X')}`,
    created: '2015-02-06T18:39:46Z',
    description: `AWS managed policy ${name}`,
  };
}

/** A policy that exists (catalogued AWS managed or customer), or the action's own NoSuchEntity. */
function findPolicy(s: EmulatorState, policyArn: string, notFound: string): PolicyInfo {
  if (!POLICY_ARN.test(policyArn)) throw new AwsError('InvalidInput', `ARN ${policyArn} is not valid.`);
  const found = managedPolicy(policyArn) ?? Object.values(s.policies).find((p) => p.arn === policyArn);
  if (!found) throw new AwsError('NoSuchEntity', notFound);
  return found;
}

const notAttachable = (policyArn: string) => `Policy ${policyArn} does not exist or is not attachable.`;

function usage(s: EmulatorState, policyArn: string): { attachments: number; boundaries: number } {
  let attachments = 0;
  let boundaries = 0;
  for (const u of Object.values(s.users)) {
    if (u.policies.includes(policyArn)) attachments++;
    if (u.boundary === policyArn) boundaries++;
  }
  for (const g of Object.values(s.groups)) if (g.policies.includes(policyArn)) attachments++;
  return { attachments, boundaries };
}

function policyXml(s: EmulatorState, policy: PolicyInfo) {
  const { attachments, boundaries } = usage(s, policy.arn);
  return {
    PolicyName: policy.name,
    PolicyId: policy.id,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: 'v1',
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: boundaries,
    IsAttachable: true,
    ...(policy.description ? { Description: policy.description } : {}),
    CreateDate: policy.created,
    UpdateDate: policy.created,
  };
}

/** What still hangs on a user, in the order IAM reports it; deleting waits until nothing does. */
function userConflict(u: EmUser): string | undefined {
  if (Object.keys(u.inline).length) return 'Cannot delete entity, must delete policies first.';
  if (u.policies.length) return 'Cannot delete entity, must detach all policies first.';
  if (u.keys.length) return 'Cannot delete entity, must delete access keys first.';
  if (u.loginProfile) return 'Cannot delete entity, must delete login profile first.';
  if (u.mfaDevices.length) return 'Cannot delete entity, must delete MFA device first.';
  if (u.groups.length) return 'Cannot delete entity, must remove users from group first.';
  return undefined;
}

const membersOf = (s: EmulatorState, g: EmGroup) =>
  Object.values(s.users)
    .filter((u) => u.groups.includes(key(g.name)))
    .sort(byName);

const attached = (arns: string[]) =>
  arns.map((a) => ({ PolicyName: a.slice(a.lastIndexOf('/') + 1), PolicyArn: a }));

/** The user whose access key signed the request, if it is one of the account's. */
export function callerOf(s: EmulatorState, accessKeyId: string | undefined): EmUser | undefined {
  if (!accessKeyId) return undefined;
  return Object.values(s.users).find((u) => u.keys.some((k) => k.id === accessKeyId));
}

const ACTIONS: Record<string, Action> = {
  CreateUser(p, s) {
    const name = userName(p, true);
    const path = checkPath(p.get('Path'));
    const tags = tagsOf(p, 'TagsPerUser');
    const boundary = p.get('PermissionsBoundary') ?? undefined;
    if (boundary) findPolicy(s, boundary, `Scope ARN: ${boundary} does not exist or is not attachable.`);
    if (s.users[key(name)])
      throw new AwsError('EntityAlreadyExists', `User with name ${name} already exists.`);
    const user: EmUser = {
      name,
      path,
      id: randomId('AIDA'),
      created: now(),
      tags,
      ...(boundary ? { boundary } : {}),
      groups: [],
      policies: [],
      inline: {},
      keys: [],
      mfaDevices: [],
    };
    s.users[key(name)] = user;
    return { User: userXml(s, user, true) };
  },
  GetUser(p, s, ctx) {
    // Without a name, GetUser describes the caller: the user whose key signed, else the account root.
    if (!p.get('UserName')) {
      const caller = callerOf(s, ctx.accessKeyId);
      if (caller) return { User: userXml(s, caller, true) };
      return {
        User: {
          UserId: s.accountId,
          Arn: `arn:aws:iam::${s.accountId}:root`,
          CreateDate: '2020-01-01T00:00:00Z',
        },
      };
    }
    return { User: userXml(s, getUser(s, userName(p)), true) };
  },
  ListUsers(p, s) {
    const prefix = checkPath(p.get('PathPrefix'), 'pathPrefix');
    const all = Object.values(s.users)
      .filter((u) => u.path.startsWith(prefix))
      .sort(byName);
    const { items, ...rest } = page(all, p);
    return { Users: items.map((u) => userXml(s, u, false)), ...rest };
  },
  DeleteUser(p, s) {
    const user = getUser(s, userName(p));
    const conflict = userConflict(user);
    if (conflict) throw new AwsError('DeleteConflict', conflict);
    delete s.users[key(user.name)];
    return undefined;
  },
  TagUser(p, s) {
    const user = getUser(s, userName(p));
    const tags = mergeTags(user.tags, tagsOf(p, 'TagsPerUser'));
    if (tags.length > LIMITS.tags) {
      throw new AwsError('LimitExceeded', `Cannot exceed quota for TagsPerUser: ${LIMITS.tags}`);
    }
    user.tags = tags;
    return undefined;
  },
  UntagUser(p, s) {
    const user = getUser(s, userName(p));
    const remove = new Set(members(p, 'TagKeys').map(([, m]) => (m[''] ?? '').toLowerCase()));
    user.tags = user.tags.filter((t) => !remove.has(t.Key.toLowerCase()));
    return undefined;
  },
  ListUserTags(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(user.tags, p);
    return { Tags: items, ...rest };
  },

  CreateGroup(p, s) {
    const name = groupName(p);
    const path = checkPath(p.get('Path'));
    if (s.groups[key(name)])
      throw new AwsError('EntityAlreadyExists', `Group with name ${name} already exists.`);
    const group: EmGroup = { name, path, id: randomId('AGPA'), created: now(), policies: [], inline: {} };
    s.groups[key(name)] = group;
    return { Group: groupXml(s, group) };
  },
  GetGroup(p, s) {
    const group = getGroup(s, groupName(p));
    const { items, ...rest } = page(membersOf(s, group), p);
    return { Group: groupXml(s, group), Users: items.map((u) => userXml(s, u, false)), ...rest };
  },
  ListGroups(p, s) {
    const prefix = checkPath(p.get('PathPrefix'), 'pathPrefix');
    const all = Object.values(s.groups)
      .filter((g) => g.path.startsWith(prefix))
      .sort(byName);
    const { items, ...rest } = page(all, p);
    return { Groups: items.map((g) => groupXml(s, g)), ...rest };
  },
  DeleteGroup(p, s) {
    const group = getGroup(s, groupName(p));
    if (membersOf(s, group).length) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must remove users from group first.');
    }
    if (Object.keys(group.inline).length) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
    }
    if (group.policies.length) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.');
    }
    delete s.groups[key(group.name)];
    return undefined;
  },
  AddUserToGroup(p, s) {
    const group = getGroup(s, groupName(p));
    const user = getUser(s, userName(p));
    if (user.groups.includes(key(group.name))) return undefined;
    if (user.groups.length >= LIMITS.groupsPerUser) {
      throw new AwsError('LimitExceeded', `Cannot exceed quota for GroupsPerUser: ${LIMITS.groupsPerUser}`);
    }
    user.groups.push(key(group.name));
    return undefined;
  },
  RemoveUserFromGroup(p, s) {
    const group = getGroup(s, groupName(p));
    const user = getUser(s, userName(p));
    if (!user.groups.includes(key(group.name))) {
      throw new AwsError(
        'NoSuchEntity',
        `The user with name ${user.name} cannot be found in group ${group.name}.`,
      );
    }
    user.groups = user.groups.filter((g) => g !== key(group.name));
    return undefined;
  },
  ListGroupsForUser(p, s) {
    const user = getUser(s, userName(p));
    const groups = user.groups
      .map((g) => s.groups[g])
      .filter((g): g is EmGroup => g !== undefined)
      .sort(byName);
    const { items, ...rest } = page(groups, p);
    return { Groups: items.map((g) => groupXml(s, g)), ...rest };
  },
  PutGroupPolicy(p, s) {
    const group = getGroup(s, groupName(p));
    const name = policyName(p);
    group.inline[name] = checkPolicyDocument(required(p, 'PolicyDocument'));
    return undefined;
  },
  DeleteGroupPolicy(p, s) {
    const group = getGroup(s, groupName(p));
    const name = policyName(p);
    if (!(name in group.inline)) {
      throw new AwsError('NoSuchEntity', `The group policy with name ${name} cannot be found.`);
    }
    delete group.inline[name];
    return undefined;
  },
  ListGroupPolicies(p, s) {
    const group = getGroup(s, groupName(p));
    const { items, ...rest } = page(Object.keys(group.inline).sort(), p);
    return { PolicyNames: items, ...rest };
  },

  AttachGroupPolicy(p, s) {
    const group = getGroup(s, groupName(p));
    const policyArn = required(p, 'PolicyArn');
    findPolicy(s, policyArn, notAttachable(policyArn));
    // Attaching again is a no-op, as in IAM.
    if (group.policies.includes(policyArn)) return undefined;
    if (group.policies.length >= LIMITS.policiesPerGroup) {
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for PoliciesPerGroup: ${LIMITS.policiesPerGroup}`,
      );
    }
    group.policies.push(policyArn);
    return undefined;
  },
  DetachGroupPolicy(p, s) {
    const group = getGroup(s, groupName(p));
    const policyArn = required(p, 'PolicyArn');
    findPolicy(s, policyArn, `Policy ${policyArn} was not found.`);
    if (!group.policies.includes(policyArn))
      throw new AwsError('NoSuchEntity', `Policy ${policyArn} was not found.`);
    group.policies = group.policies.filter((a) => a !== policyArn);
    return undefined;
  },
  ListAttachedGroupPolicies(p, s) {
    const group = getGroup(s, groupName(p));
    const { items, ...rest } = page(group.policies, p);
    return { AttachedPolicies: attached(items), ...rest };
  },
  AttachUserPolicy(p, s) {
    const user = getUser(s, userName(p));
    const policyArn = required(p, 'PolicyArn');
    findPolicy(s, policyArn, notAttachable(policyArn));
    if (user.policies.includes(policyArn)) return undefined;
    if (user.policies.length >= LIMITS.policiesPerUser) {
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for PoliciesPerUser: ${LIMITS.policiesPerUser}`,
      );
    }
    user.policies.push(policyArn);
    return undefined;
  },
  DetachUserPolicy(p, s) {
    const user = getUser(s, userName(p));
    const policyArn = required(p, 'PolicyArn');
    findPolicy(s, policyArn, `Policy ${policyArn} was not found.`);
    if (!user.policies.includes(policyArn))
      throw new AwsError('NoSuchEntity', `Policy ${policyArn} was not found.`);
    user.policies = user.policies.filter((a) => a !== policyArn);
    return undefined;
  },
  ListAttachedUserPolicies(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(user.policies, p);
    return { AttachedPolicies: attached(items), ...rest };
  },
  PutUserPolicy(p, s) {
    const user = getUser(s, userName(p));
    const name = policyName(p);
    user.inline[name] = checkPolicyDocument(required(p, 'PolicyDocument'));
    return undefined;
  },
  DeleteUserPolicy(p, s) {
    const user = getUser(s, userName(p));
    const name = policyName(p);
    if (!(name in user.inline))
      throw new AwsError('NoSuchEntity', `The user policy with name ${name} cannot be found.`);
    delete user.inline[name];
    return undefined;
  },
  ListUserPolicies(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(Object.keys(user.inline).sort(), p);
    return { PolicyNames: items, ...rest };
  },
  ListMFADevices(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(user.mfaDevices, p);
    return {
      MFADevices: items.map((serial) => ({
        UserName: user.name,
        SerialNumber: serial,
        EnableDate: user.created,
      })),
      ...rest,
    };
  },

  GetPolicy(p, s) {
    const policyArn = required(p, 'PolicyArn');
    return { Policy: policyXml(s, findPolicy(s, policyArn, `Policy ${policyArn} was not found.`)) };
  },
  CreatePolicy(p, s) {
    const name = policyName(p);
    const path = checkPath(p.get('Path'));
    const document = checkPolicyDocument(required(p, 'PolicyDocument'));
    // Customer policy names are unique in the account whatever their path.
    if (s.policies[key(name)]) {
      throw new AwsError(
        'EntityAlreadyExists',
        `A policy called ${name} already exists. Duplicate names are not allowed.`,
      );
    }
    const policy = {
      name,
      path,
      id: randomId('ANPA'),
      arn: arn(s, 'policy', path, name),
      document,
      description: p.get('Description') ?? '',
      created: now(),
    };
    s.policies[key(name)] = policy;
    return { Policy: policyXml(s, policy) };
  },
  DeletePolicy(p, s) {
    const policyArn = required(p, 'PolicyArn');
    if (!POLICY_ARN.test(policyArn)) throw new AwsError('InvalidInput', `ARN ${policyArn} is not valid.`);
    if (managedPolicy(policyArn)) {
      throw new AwsError(
        'UnmodifiableEntity',
        `Cannot delete policy ${policyArn}: it is an AWS managed policy.`,
      );
    }
    const policy = Object.values(s.policies).find((x) => x.arn === policyArn);
    if (!policy) throw new AwsError('NoSuchEntity', `Policy ${policyArn} was not found.`);
    const { attachments, boundaries } = usage(s, policyArn);
    if (attachments + boundaries > 0) {
      throw new AwsError('DeleteConflict', 'Cannot delete a policy attached to entities.');
    }
    delete s.policies[key(policy.name)];
    return undefined;
  },

  CreateServiceLinkedRole(p, s) {
    const service = required(p, 'AWSServiceName');
    const base = SERVICE_LINKED_ROLE_NAMES[service];
    if (!base) {
      throw new AwsError(
        'InvalidInput',
        `Service ${service} does not support service-linked roles or is not a valid service principal.`,
      );
    }
    const suffix = p.get('CustomSuffix');
    const name = checkName(suffix ? `${base}_${suffix}` : base, 'roleName', 64);
    const description = p.get('Description') ?? '';
    checkLength(description, 'description', 0, 1000);
    // IAM answers InvalidInput here, not EntityAlreadyExists: callers must recognise the message.
    if (s.roles[key(name)]) {
      throw new AwsError(
        'InvalidInput',
        `Service role name ${name} has been taken in this account, please try a different suffix.`,
      );
    }
    const role: EmRole = {
      name,
      path: `/aws-service-role/${service}/`,
      id: randomId('AROA'),
      created: now(),
      description,
      tags: [],
      service,
    };
    s.roles[key(name)] = role;
    return { Role: roleXml(s, role) };
  },
  DeleteServiceLinkedRole(p, s) {
    const role = getRole(s, roleName(p));
    if (!role.service) {
      throw new AwsError('InvalidInput', `Role ${role.name} is not a service-linked role; use DeleteRole.`);
    }
    const taskId = `task/aws-service-role/${role.service}/${role.name}/${randomUUID()}`;
    const pending = role.deletionSteps?.length ? { pending: [...role.deletionSteps] } : {};
    // The task is asynchronous in IAM; here its outcome is decided at once and only its polls are staged.
    if (role.inUse) {
      s.deletionTasks[taskId] = {
        status: 'FAILED',
        reason: `The service ${role.service} is still using role ${role.name}: delete its resources first.`,
        ...pending,
      };
    } else {
      delete s.roles[key(role.name)];
      s.deletionTasks[taskId] = { status: 'SUCCEEDED', ...pending };
    }
    return { DeletionTaskId: taskId };
  },
  GetServiceLinkedRoleDeletionStatus(p, s, ctx) {
    const taskId = required(p, 'DeletionTaskId');
    if (!DELETION_TASK.test(taskId))
      throw new AwsError('InvalidInput', `Invalid deletion task id ${taskId}.`);
    const task = s.deletionTasks[taskId];
    if (!task) throw new AwsError('NoSuchEntity', `Deletion task ${taskId} cannot be found.`);
    const step = task.pending?.shift();
    if (step) return { Status: step };
    if (task.status !== 'FAILED' || !task.reason) return { Status: task.status };
    return {
      Status: task.status,
      Reason: { Reason: task.reason, RoleUsageList: [{ Region: ctx.region, Resources: [] }] },
    };
  },
  GetRole(p, s) {
    return { Role: roleXml(s, getRole(s, roleName(p))) };
  },
  ListRoles(p, s) {
    const prefix = checkPath(p.get('PathPrefix'), 'pathPrefix');
    const all = Object.values(s.roles)
      .filter((r) => r.path.startsWith(prefix))
      .sort(byName);
    const { items, ...rest } = page(all, p);
    return { Roles: items.map((r) => roleXml(s, r)), ...rest };
  },

  CreateAccessKey(p, s) {
    const user = getUser(s, userName(p));
    if (user.keys.length >= LIMITS.accessKeysPerUser) {
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for AccessKeysPerUser: ${LIMITS.accessKeysPerUser}`,
      );
    }
    const accessKey = {
      id: randomId('AKIA', 20),
      secret: secretAccessKey(),
      status: 'Active' as const,
      created: now(),
    };
    user.keys.push(accessKey);
    return {
      AccessKey: {
        UserName: user.name,
        AccessKeyId: accessKey.id,
        Status: accessKey.status,
        SecretAccessKey: accessKey.secret,
        CreateDate: accessKey.created,
      },
    };
  },
  DeleteAccessKey(p, s) {
    const user = getUser(s, userName(p));
    const id = required(p, 'AccessKeyId');
    if (!user.keys.some((k) => k.id === id)) {
      throw new AwsError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
    }
    user.keys = user.keys.filter((k) => k.id !== id);
    return undefined;
  },
  ListAccessKeys(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(user.keys, p);
    return {
      AccessKeyMetadata: items.map((k) => ({
        UserName: user.name,
        AccessKeyId: k.id,
        Status: k.status,
        CreateDate: k.created,
      })),
      ...rest,
    };
  },
  CreateLoginProfile(p, s) {
    const user = getUser(s, userName(p));
    checkLength(required(p, 'Password'), 'password', 1, 128);
    if (user.loginProfile) {
      throw new AwsError('EntityAlreadyExists', `Login Profile for user ${user.name} already exists.`);
    }
    user.loginProfile = { created: now() };
    return {
      LoginProfile: {
        UserName: user.name,
        CreateDate: user.loginProfile.created,
        PasswordResetRequired: p.get('PasswordResetRequired') === 'true',
      },
    };
  },
  GetLoginProfile(p, s) {
    const user = getUser(s, userName(p));
    if (!user.loginProfile) {
      throw new AwsError('NoSuchEntity', `Login Profile for User ${user.name} cannot be found.`);
    }
    return {
      LoginProfile: {
        UserName: user.name,
        CreateDate: user.loginProfile.created,
        PasswordResetRequired: false,
      },
    };
  },
  DeleteLoginProfile(p, s) {
    const user = getUser(s, userName(p));
    if (!user.loginProfile) {
      throw new AwsError('NoSuchEntity', `Login Profile for User ${user.name} cannot be found.`);
    }
    delete user.loginProfile;
    return undefined;
  },
};

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** 40 characters of base64's alphabet, as AWS's secret access keys. */
const secretAccessKey = () => Array.from(randomBytes(40), (b) => SECRET_ALPHABET[b % 64]).join('');

/** IAM as an awsQuery service over the account that `state()` returns at each call. */
export function iamService(state: () => EmulatorState): QueryService {
  return {
    protocol: 'awsQuery',
    signingName: 'iam',
    namespace: IAM_NAMESPACE,
    actions: Object.fromEntries(
      Object.entries(ACTIONS).map(([name, action]) => [
        name,
        (p: Params, ctx: CallContext) => action(p, state(), ctx),
      ]),
    ),
  };
}

/** Actions that never change the account: the state file is not rewritten after them. */
export const IAM_READ_ONLY = new Set(
  Object.keys(ACTIONS).filter((a) => /^(Get|List)/.test(a) && a !== 'GetServiceLinkedRoleDeletionStatus'),
);
