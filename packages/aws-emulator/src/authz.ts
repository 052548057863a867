import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AWS_MANAGED } from './iam/managed-policies.ts';
import { SERVICE_LINKED_ROLE_NAMES } from './iam/roles.ts';
import { liveSession } from './iam/users.ts';
import type { EmSecret, EmTag, EmUser, EmulatorState } from './state.ts';
import { key as keyOf } from './state.ts';

/**
 * Authorization: who signed a call (the access key id names the caller; signatures are not checked)
 * and whether IAM would let them. A registered principal is a role or user given with its identity
 * policies and boundary; a key the emulator issued (CreateAccessKey) is that IAM user, with its attached,
 * inline and groups' policies and its permissions boundary, as IAM evaluates them (boundary ∩ identity,
 * plus a secret's resource policy). Each call becomes the IAM action(s) that authorize it, its
 * resource's ARN and the condition keys the Service Authorization Reference lists for that action,
 * and is evaluated by @cloud-copilot/iam-simulate. Off by default: every call is allowed.
 */

export interface PolicyDocument {
  Version?: string;
  Statement: unknown;
}

/** A principal the emulator does not manage itself: a Lambda function's role, a CI role, ... */
export interface PrincipalSpec {
  /** The principal's ARN (a role's, or an assumed-role session's), as it appears in AccessDenied. */
  arn: string;
  /** `aws:PrincipalArn`: the role of an assumed-role session (by default `arn`). */
  principalArn?: string;
  identityPolicies: PolicyDocument[];
  boundary?: PolicyDocument;
}

/** The operator: not an AWS principal, never evaluated (a test arranging the account, `onboard emulator`'s key). */
export interface OperatorSpec {
  unrestricted: true;
}

export type RegisteredPrincipal = PrincipalSpec | OperatorSpec;

/** One IAM authorization a call needs: the action, its resource and the request's condition keys. */
export interface AuthRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  resourcePolicy?: string;
}

export type CallInput = URLSearchParams | Record<string, unknown>;

export type Decision =
  | { allowed: true }
  | { allowed: false; code: 'AccessDenied' | 'InvalidClientTokenId'; message: string };

const ALLOW: Decision = { allowed: true };

/** Where a principal's policies come from, resolved for one call. */
interface Resolved {
  arn: string;
  principalArn: string;
  identityPolicies: PolicyDocument[];
  boundary?: PolicyDocument;
  context: Record<string, string>;
}

function parseDocument(text: string | undefined): PolicyDocument | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as PolicyDocument;
  } catch {
    return undefined;
  }
}

/** An AWS managed policy's real (vendored) document, or undefined when the emulator does not catalogue it. */
export function awsManagedDocument(policyArn: string): PolicyDocument | undefined {
  return AWS_MANAGED.get(policyArn)?.document as PolicyDocument | undefined;
}

function managedDocument(s: EmulatorState, policyArn: string): PolicyDocument | undefined {
  if (policyArn.startsWith('arn:aws:iam::aws:policy/')) {
    // The real documents (vendored): a policy the emulator does not catalogue grants nothing.
    return AWS_MANAGED.get(policyArn)?.document as PolicyDocument | undefined;
  }
  return parseDocument(Object.values(s.policies).find((p) => p.arn === policyArn)?.document);
}

const iamArn = (s: EmulatorState, type: string, path: string, name: string) =>
  `arn:aws:iam::${s.accountId}:${type}${path}${name}`;

/** A user's identity: its own policies and its groups', and its boundary. */
function userIdentity(s: EmulatorState, user: EmUser): Resolved {
  const docs: (PolicyDocument | undefined)[] = [
    ...Object.values(user.inline).map(parseDocument),
    ...user.policies.map((arn) => managedDocument(s, arn)),
  ];
  for (const g of user.groups) {
    const group = s.groups[g];
    if (!group) continue;
    docs.push(
      ...Object.values(group.inline).map(parseDocument),
      ...group.policies.map((a) => managedDocument(s, a)),
    );
  }
  const boundary = user.boundary ? managedDocument(s, user.boundary) : undefined;
  return {
    arn: iamArn(s, 'user', user.path, user.name),
    principalArn: iamArn(s, 'user', user.path, user.name),
    identityPolicies: docs.filter((d): d is PolicyDocument => d !== undefined),
    // A boundary whose document is unknown allows nothing, as a boundary that grants nothing.
    ...(user.boundary ? { boundary: boundary ?? { Statement: [] } } : {}),
    context: { 'aws:username': user.name, 'aws:userid': user.id, 'aws:PrincipalType': 'User' },
  };
}

function tagContext(tags: EmTag[], prefixes: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) for (const p of prefixes) out[`${p}/${t.Key}`] = t.Value;
  return out;
}

function requestTags(tags: EmTag[]): Record<string, string | string[]> {
  if (tags.length === 0) return {};
  return { ...tagContext(tags, ['aws:RequestTag']), 'aws:TagKeys': tags.map((t) => t.Key) };
}

function queryTags(p: URLSearchParams, list = 'Tags'): EmTag[] {
  const byIndex = new Map<string, { Key?: string; Value?: string }>();
  const prefix = `${list}.member.`;
  for (const [k, v] of p) {
    if (!k.startsWith(prefix)) continue;
    const [index = '', field] = k.slice(prefix.length).split('.');
    const entry = byIndex.get(index) ?? {};
    if (field === 'Key') entry.Key = v;
    if (field === 'Value') entry.Value = v;
    byIndex.set(index, entry);
  }
  return [...byIndex.values()]
    .filter((t) => t.Key !== undefined)
    .map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
}

function queryList(p: URLSearchParams, list: string): string[] {
  const prefix = `${list}.member.`;
  return [...p].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
}

/**
 * The ARN IAM evaluates for a user, group or role: its own (path included) when it exists; when it
 * does not, the name at the root path — IAM cannot know a path it has no entity for, so a policy scoped
 * to a path answers AccessDenied, not NoSuchEntity, for an absent name.
 */
function userArnOf(s: EmulatorState, name: string | null): { arn: string; tags: EmTag[] } {
  const user = name ? s.users[keyOf(name)] : undefined;
  if (user) return { arn: iamArn(s, 'user', user.path, user.name), tags: user.tags };
  return { arn: iamArn(s, 'user', '/', name ?? ''), tags: [] };
}

function groupArnOf(s: EmulatorState, name: string | null): string {
  const group = name ? s.groups[keyOf(name)] : undefined;
  return group ? iamArn(s, 'group', group.path, group.name) : iamArn(s, 'group', '/', name ?? '');
}

function roleArnOf(s: EmulatorState, name: string | null): { arn: string; tags: EmTag[] } {
  const role = name ? s.roles[keyOf(name)] : undefined;
  if (role) return { arn: iamArn(s, 'role', role.path, role.name), tags: role.tags };
  return { arn: iamArn(s, 'role', '/', name ?? ''), tags: [] };
}

const IAM_RESOURCE_TAGS = ['iam:ResourceTag', 'aws:ResourceTag'];

/** The IAM actions on a user named by `UserName` (the caller itself when it is omitted). */
const USER_ACTIONS = new Set([
  'GetUser',
  'DeleteUser',
  'TagUser',
  'UntagUser',
  'ListUserTags',
  'ListGroupsForUser',
  'AttachUserPolicy',
  'DetachUserPolicy',
  'ListAttachedUserPolicies',
  'PutUserPolicy',
  'DeleteUserPolicy',
  'ListUserPolicies',
  'CreateAccessKey',
  'DeleteAccessKey',
  'ListAccessKeys',
  'CreateLoginProfile',
  'GetLoginProfile',
  'UpdateLoginProfile',
  'DeleteLoginProfile',
  'ListMFADevices',
  'EnableMFADevice',
  'DeactivateMFADevice',
  'ResyncMFADevice',
  'GetUserPolicy',
  'UpdateAccessKey',
  'UploadSSHPublicKey',
  'GetSSHPublicKey',
  'UpdateSSHPublicKey',
  'DeleteSSHPublicKey',
  'ListSSHPublicKeys',
  'UploadSigningCertificate',
  'UpdateSigningCertificate',
  'DeleteSigningCertificate',
  'ListSigningCertificates',
  'CreateServiceSpecificCredential',
  'ListServiceSpecificCredentials',
  'UpdateServiceSpecificCredential',
  'ResetServiceSpecificCredential',
  'DeleteServiceSpecificCredential',
]);

const GROUP_ACTIONS = new Set([
  'GetGroup',
  'DeleteGroup',
  'AddUserToGroup',
  'RemoveUserFromGroup',
  'PutGroupPolicy',
  'DeleteGroupPolicy',
  'ListGroupPolicies',
  'GetGroupPolicy',
  'AttachGroupPolicy',
  'DetachGroupPolicy',
  'ListAttachedGroupPolicies',
]);

/** Actions on one managed policy: authorized on its ARN. */
const POLICY_ACTIONS = new Set([
  'GetPolicy',
  'DeletePolicy',
  'GetPolicyVersion',
  'ListPolicyVersions',
  'CreatePolicyVersion',
  'DeletePolicyVersion',
]);

function iamRequests(s: EmulatorState, action: string, p: URLSearchParams, callerArn: string): AuthRequest[] {
  const a = `iam:${action}`;
  const policyArn = p.get('PolicyArn');
  const policyContext: Record<string, string> = policyArn ? { 'iam:PolicyARN': policyArn } : {};
  if (action === 'CreateUser') {
    const arn = iamArn(s, 'user', p.get('Path') ?? '/', p.get('UserName') ?? '');
    const tags = queryTags(p);
    const boundary = p.get('PermissionsBoundary');
    const out: AuthRequest[] = [
      {
        action: a,
        resource: arn,
        context: { ...(boundary ? { 'iam:PermissionsBoundary': boundary } : {}), ...requestTags(tags) },
      },
    ];
    // Creating with tags is also authorized as tagging (the Service Authorization Reference's dependent action).
    if (tags.length) out.push({ action: 'iam:TagUser', resource: arn, context: requestTags(tags) });
    return out;
  }
  if (action === 'CreateGroup') {
    return [
      {
        action: a,
        resource: iamArn(s, 'group', p.get('Path') ?? '/', p.get('GroupName') ?? ''),
        context: {},
      },
    ];
  }
  if (action === 'GetAccessKeyLastUsed') {
    // Authorized on the user who owns the key (a key the account lacks: on "*", then refused by IAM).
    const id = p.get('AccessKeyId');
    const owner = Object.values(s.users).find((u) => u.keys.some((k) => k.id === id));
    return [
      {
        action: a,
        resource: owner ? iamArn(s, 'user', owner.path, owner.name) : '*',
        context: owner ? tagContext(owner.tags, IAM_RESOURCE_TAGS) : {},
      },
    ];
  }
  if (action === 'ListServiceSpecificCredentials' && p.get('AllUsers') === 'true') {
    return [{ action: a, resource: '*', context: {} }];
  }
  if (USER_ACTIONS.has(action)) {
    // Without a name, a user action is on the caller itself (GetUser, ListAccessKeys, ListMFADevices).
    const target = p.get('UserName')
      ? userArnOf(s, p.get('UserName'))
      : { arn: callerArn, tags: callerTags(s, callerArn) };
    const context: Record<string, string | string[]> = {
      ...tagContext(target.tags, IAM_RESOURCE_TAGS),
      ...policyContext,
    };
    if (action === 'TagUser') Object.assign(context, requestTags(queryTags(p)));
    if (action === 'UntagUser') context['aws:TagKeys'] = queryList(p, 'TagKeys');
    return [{ action: a, resource: target.arn, context }];
  }
  if (action === 'ChangePassword') {
    // A user changes their own password: the resource is the caller.
    return [
      { action: a, resource: callerArn, context: tagContext(callerTags(s, callerArn), IAM_RESOURCE_TAGS) },
    ];
  }
  if (action === 'CreateVirtualMFADevice') {
    const name = p.get('VirtualMFADeviceName') ?? '';
    return [
      {
        action: a,
        resource: iamArn(s, 'mfa', p.get('Path') ?? '/', name),
        context: requestTags(queryTags(p)),
      },
    ];
  }
  if (action === 'DeleteVirtualMFADevice') {
    return [{ action: a, resource: p.get('SerialNumber') ?? '*', context: {} }];
  }
  if (GROUP_ACTIONS.has(action)) {
    return [{ action: a, resource: groupArnOf(s, p.get('GroupName')), context: policyContext }];
  }
  if (action === 'CreateServiceLinkedRole') {
    const service = p.get('AWSServiceName') ?? '';
    const suffix = p.get('CustomSuffix');
    const base = SERVICE_LINKED_ROLE_NAMES[service] ?? '';
    const name = suffix ? `${base}_${suffix}` : base;
    return [
      {
        action: a,
        resource: iamArn(s, 'role', `/aws-service-role/${service}/`, name),
        context: { 'iam:AWSServiceName': service },
      },
    ];
  }
  if (action === 'DeleteServiceLinkedRole' || action === 'GetRole') {
    const role = roleArnOf(s, p.get('RoleName'));
    return [{ action: a, resource: role.arn, context: tagContext(role.tags, IAM_RESOURCE_TAGS) }];
  }
  if (POLICY_ACTIONS.has(action)) {
    return [{ action: a, resource: policyArn ?? '*', context: {} }];
  }
  if (action === 'CreatePolicy') {
    return [
      {
        action: a,
        resource: iamArn(s, 'policy', p.get('Path') ?? '/', p.get('PolicyName') ?? ''),
        context: {},
      },
    ];
  }
  // The List* of a whole kind and the deletion-status poll: IAM authorizes them on "*" only.
  return [{ action: a, resource: '*', context: {} }];
}

function callerTags(s: EmulatorState, arn: string): EmTag[] {
  return Object.values(s.users).find((u) => iamArn(s, 'user', u.path, u.name) === arn)?.tags ?? [];
}

// The evaluator's data has no secretsmanager:ResourceTag/<key> (it would throw): aws:ResourceTag only.
const SM_TAGS = ['aws:ResourceTag'];

function findSecret(s: EmulatorState, id: string): EmSecret | undefined {
  return (
    s.secrets[id] ??
    Object.values(s.secrets).find(
      (x) => x.arn === id || (id.startsWith('arn:') && x.arn.replace(/-[A-Za-z0-9]{6}$/, '') === id),
    )
  );
}

function jsonTags(raw: unknown): EmTag[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((t): t is { Key: string; Value?: string } => typeof t?.Key === 'string')
    .map((t) => ({ Key: t.Key, Value: typeof t.Value === 'string' ? t.Value : '' }));
}

function secretsRequests(
  s: EmulatorState,
  region: string,
  action: string,
  body: Record<string, unknown>,
): AuthRequest[] {
  const a = `secretsmanager:${action}`;
  if (action === 'ListSecrets') return [{ action: a, resource: '*', context: {} }];
  const name = typeof body.Name === 'string' ? body.Name : undefined;
  const id = typeof body.SecretId === 'string' ? body.SecretId : name;
  const secret = id ? findSecret(s, id) : undefined;
  // A secret not created yet has no ARN: IAM matches its name with six characters, as it will be named.
  const arn =
    secret?.arn ??
    (id?.startsWith('arn:')
      ? id
      : `arn:aws:secretsmanager:${region}:${s.accountId}:secret:${id ?? ''}-xxxxxx`);
  const context: Record<string, string | string[]> = {
    ...(secret ? tagContext(secret.tags, SM_TAGS) : {}),
    ...(id ? { 'secretsmanager:SecretId': arn } : {}),
  };
  if (action === 'CreateSecret' && name) context['secretsmanager:Name'] = name;
  const tags = jsonTags(body.Tags);
  if (action === 'CreateSecret' || action === 'TagResource') Object.assign(context, requestTags(tags));
  if (action === 'UntagResource' && Array.isArray(body.TagKeys))
    context['aws:TagKeys'] = body.TagKeys.map(String);
  if (action === 'DeleteSecret') {
    if (body.ForceDeleteWithoutRecovery !== undefined)
      context['secretsmanager:ForceDeleteWithoutRecovery'] = String(body.ForceDeleteWithoutRecovery);
    if (body.RecoveryWindowInDays !== undefined)
      context['secretsmanager:RecoveryWindowInDays'] = String(body.RecoveryWindowInDays);
  }
  if (action === 'PutResourcePolicy' && body.BlockPublicPolicy !== undefined)
    context['secretsmanager:BlockPublicPolicy'] = String(body.BlockPublicPolicy);
  const out: AuthRequest[] = [
    {
      action: a,
      resource: arn,
      context,
      ...(secret?.resourcePolicy ? { resourcePolicy: secret.resourcePolicy } : {}),
    },
  ];
  if (action === 'CreateSecret' && tags.length)
    out.push({ action: 'secretsmanager:TagResource', resource: arn, context: { ...context } });
  return out;
}

/** Step Functions (when registered): executions by their ARN, state machines by theirs. */
function statesRequests(action: string, body: Record<string, unknown>): AuthRequest[] {
  const resource =
    (typeof body.executionArn === 'string' && body.executionArn) ||
    (typeof body.stateMachineArn === 'string' && body.stateMachineArn) ||
    '*';
  return [{ action: `states:${action}`, resource, context: {} }];
}

/** The authorizations one call needs; a service the emulator does not know is authorized on "*". */
export function requestsFor(
  s: EmulatorState,
  region: string,
  service: string,
  action: string,
  input: CallInput,
  callerArn: string,
): AuthRequest[] {
  if (service === 'iam' && input instanceof URLSearchParams) return iamRequests(s, action, input, callerArn);
  if (service === 'secretsmanager' && !(input instanceof URLSearchParams))
    return secretsRequests(s, region, action, input);
  if (service === 'states' && !(input instanceof URLSearchParams)) return statesRequests(action, input);
  return [{ action: `${service}:${action}`, resource: '*', context: {} }];
}

/** Actions AWS answers for any authenticated caller, whatever its policies. */
const NEEDS_NO_PERMISSION = new Set(['sts:GetCallerIdentity']);

export class Authorizer {
  private enabled: boolean;
  private readonly principals = new Map<string, RegisteredPrincipal>();

  constructor(options: { enabled?: boolean; operatorKeys?: string[] } = {}) {
    this.enabled = options.enabled ?? false;
    for (const k of options.operatorKeys ?? []) this.principals.set(k, { unrestricted: true });
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
  }

  register(accessKeyId: string, principal: RegisteredPrincipal): void {
    this.principals.set(accessKeyId, principal);
  }

  registered(): string[] {
    return [...this.principals.keys()];
  }

  private resolve(s: EmulatorState, accessKeyId: string | undefined): Resolved | 'operator' | undefined {
    if (!accessKeyId) return undefined;
    const registered = this.principals.get(accessKeyId);
    if (registered && 'unrestricted' in registered) return 'operator';
    if (registered) {
      return {
        arn: registered.arn,
        principalArn: registered.principalArn ?? registered.arn,
        identityPolicies: registered.identityPolicies,
        ...(registered.boundary ? { boundary: registered.boundary } : {}),
        context: {},
      };
    }
    // A session (GetSessionToken) is its user, with or without MFA; a long-term key carries no MFA
    // key at all (so `BoolIfExists aws:MultiFactorAuthPresent false` matches it, as on AWS).
    const session = liveSession(s, accessKeyId);
    if (session) {
      const sessionUser = s.users[session.user];
      if (!sessionUser) return undefined;
      const identity = userIdentity(s, sessionUser);
      return {
        ...identity,
        context: {
          ...identity.context,
          'aws:MultiFactorAuthPresent': String(session.mfa),
          ...(session.mfa
            ? {
                'aws:MultiFactorAuthAge': String(
                  Math.floor((Date.now() - Date.parse(session.created)) / 1000),
                ),
              }
            : {}),
        },
      };
    }
    const user = Object.values(s.users).find((u) =>
      u.keys.some((k) => k.id === accessKeyId && k.status === 'Active'),
    );
    return user ? userIdentity(s, user) : undefined;
  }

  async authorize(
    s: EmulatorState,
    region: string,
    call: { service: string; action: string; caller?: string; input: () => CallInput },
  ): Promise<Decision> {
    if (!this.enabled) return ALLOW;
    const principal = this.resolve(s, call.caller);
    if (principal === 'operator') return ALLOW;
    if (!principal) {
      return {
        allowed: false,
        code: 'InvalidClientTokenId',
        message: 'The security token included in the request is invalid.',
      };
    }
    if (NEEDS_NO_PERMISSION.has(`${call.service}:${call.action}`)) return ALLOW;
    for (const request of requestsFor(s, region, call.service, call.action, call.input(), principal.arn)) {
      const denial = await evaluate(s.accountId, principal, request);
      if (denial) return { allowed: false, code: 'AccessDenied', message: denial };
    }
    return ALLOW;
  }
}

/**
 * Decisions already made, by everything they depend on: the evaluator is a pure function of the
 * policies, the request and its context, and it re-validates whole policy documents on every call
 * (the fault matrix asks the same questions thousands of times). A decision that depends on the clock
 * (a policy naming aws:CurrentTime or aws:EpochTime) is never kept. Bounded, oldest first out.
 */
const DECISIONS = new Map<string, string | undefined>();
const DECISIONS_KEPT = 10_000;
const CLOCK_KEYS = /aws:(CurrentTime|EpochTime)/i;

/** Undefined when allowed; else AWS's AccessDenied message. */
async function evaluate(
  accountId: string,
  principal: Resolved,
  request: AuthRequest,
): Promise<string | undefined> {
  const key = JSON.stringify([accountId, principal, request]);
  if (DECISIONS.has(key)) return DECISIONS.get(key);
  const decision = await evaluateNow(accountId, principal, request);
  if (!CLOCK_KEYS.test(key)) {
    if (DECISIONS.size >= DECISIONS_KEPT) DECISIONS.delete(DECISIONS.keys().next().value as string);
    DECISIONS.set(key, decision);
  }
  return decision;
}

async function evaluateNow(
  accountId: string,
  principal: Resolved,
  request: AuthRequest,
): Promise<string | undefined> {
  const resourcePolicy = parseDocument(request.resourcePolicy);
  const result = await simulate({
    request: {
      principal: principal.principalArn,
      action: request.action,
      resource: { resource: request.resource, accountId },
      contextVariables: {
        'aws:PrincipalArn': principal.principalArn,
        'aws:PrincipalAccount': accountId,
        'aws:SecureTransport': 'true',
        'aws:CurrentTime': new Date().toISOString(),
        ...principal.context,
        ...request.context,
      },
    },
    identityPolicies: principal.identityPolicies.map((policy, i) => ({ name: `identity${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(principal.boundary
      ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: principal.boundary }] }
      : {}),
    ...(resourcePolicy ? { resourcePolicy } : {}),
  });
  if (result.resultType === 'error') {
    return `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} (the policies could not be evaluated: ${result.errors.message})`;
  }
  if (result.overallResult === 'Allowed') return undefined;
  const why =
    result.overallResult === 'ExplicitlyDenied'
      ? `with an explicit deny in a ${explicitDenyWhere(result)} policy`
      : principal.boundary && !boundaryAllows(result)
        ? `because no permissions boundary allows the ${request.action} action`
        : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}

/** The evaluator throws on a condition key it has no data for: that is a denial the caller can read. */
async function simulate(simulation: Parameters<typeof runSimulation>[0]) {
  try {
    return await runSimulation(simulation, {});
  } catch (error) {
    return { resultType: 'error' as const, errors: { message: (error as Error).message } };
  }
}

type Analysed = { result?: { analysis?: Record<string, { result?: string } | undefined> } };

function explicitDenyWhere(result: unknown): string {
  const analysis = (result as Analysed).result?.analysis ?? {};
  if (analysis.resourceAnalysis?.result === 'ExplicitlyDenied') return 'resource-based';
  if (analysis.permissionBoundaryAnalysis?.result === 'ExplicitlyDenied') return 'permissions boundary';
  return 'identity-based';
}

function boundaryAllows(result: unknown): boolean {
  const analysis = (result as Analysed).result?.analysis ?? {};
  const b = analysis.permissionBoundaryAnalysis?.result;
  return b === undefined || b === 'Allowed';
}
