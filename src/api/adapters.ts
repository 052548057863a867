import { InvalidRequestError } from '../errors.ts';
import type { FieldIssue } from '../request.ts';

/**
 * What ticketing tools send, turned into an onboarding request. An adapter only moves fields and
 * unwraps the forms a tool can produce (a comma-separated list, "true"); the request schema then
 * decides what is valid. Errors name the field as the tool sent it (`variables.user_name`), so the
 * admin who wired the tool knows what to fix.
 */

export const SOURCES = ['generic', 'jira', 'servicenow'] as const;
export type Source = (typeof SOURCES)[number];

export interface Adapted {
  request: unknown;
  /** The tool's name for a request field path (`userName` -> `onboarding.userName`). */
  fieldName(path: string): string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Smart values and variables render an empty field as "": that is "not given". */
const given = (v: unknown): unknown => (v === '' || v === null ? undefined : v);

/** A list as a JSON array, or as text separated by commas, semicolons or white space. */
const list = (v: unknown): unknown =>
  typeof v === 'string'
    ? v
        .split(/[,;\s]+/)
        .map((s) => s.trim())
        .filter(Boolean)
    : given(v);

/** Tags as an object, or as text: `team=analytics, cost-center=4711`. Text that is not k=v stays text. */
function tags(v: unknown): unknown {
  if (typeof v !== 'string') return given(v);
  const pairs = v
    .split(/[,;\n]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (pairs.length === 0) return undefined;
  if (!pairs.every((p) => /^[^=]+=[^=]*$/.test(p))) return v;
  return Object.fromEntries(pairs.map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
}

function compact(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** How a tool's payload maps onto the request: request field -> [where the tool puts it, conversion]. */
interface Mapping {
  /** Keys allowed at the top level and in the nested objects, by the object's name ('' is the body). */
  shape: Record<string, readonly string[]>;
  fields: Record<string, readonly [path: string, convert: (v: unknown) => unknown]>;
}

const JIRA: Mapping = {
  shape: {
    '': ['issue', 'onboarding'],
    issue: ['key'],
    onboarding: [
      'userName',
      'profile',
      'policyArns',
      'tags',
      'email',
      'callbackUrl',
      'publicKey',
      'requestedBy',
    ],
  },
  fields: {
    requestId: ['issue.key', given],
    userName: ['onboarding.userName', given],
    profile: ['onboarding.profile', given],
    policyArns: ['onboarding.policyArns', list],
    tags: ['onboarding.tags', tags],
    'contact.email': ['onboarding.email', given],
    'contact.callbackUrl': ['onboarding.callbackUrl', given],
    'contact.recipient': ['onboarding.publicKey', given],
    // Who asked (the issue's reporter): a privileged profile's approver must be someone else.
    requestedBy: ['onboarding.requestedBy', given],
  },
};

const SERVICENOW: Mapping = {
  shape: {
    '': ['number', 'variables'],
    variables: [
      'user_name',
      'profile',
      'policy_arns',
      'tags',
      'email',
      'callback_url',
      'public_key',
      'requested_by',
    ],
  },
  fields: {
    requestId: ['number', given],
    userName: ['variables.user_name', given],
    profile: ['variables.profile', given],
    policyArns: ['variables.policy_arns', list],
    tags: ['variables.tags', tags],
    'contact.email': ['variables.email', given],
    'contact.callbackUrl': ['variables.callback_url', given],
    'contact.recipient': ['variables.public_key', given],
    // Who asked (the RITM's requested_for / opened_by): a privileged profile's approver must be someone else.
    requestedBy: ['variables.requested_by', given],
  },
};

/** A number of days as a tool renders it: a JSON number, or its digits as text ("7"). */
const days = (v: unknown): unknown => {
  const g = given(v);
  return typeof g === 'string' && /^\d{1,3}$/.test(g.trim()) ? Number(g.trim()) : g;
};

/** The offboarding request (src/offboarding/request.ts) as each tool sends it. */
const JIRA_OFFBOARDING: Mapping = {
  shape: {
    '': ['issue', 'offboarding'],
    issue: ['key'],
    offboarding: ['userName', 'gracePeriodDays', 'callbackUrl', 'requestedBy', 'reason'],
  },
  fields: {
    requestId: ['issue.key', given],
    userName: ['offboarding.userName', given],
    gracePeriodDays: ['offboarding.gracePeriodDays', days],
    'contact.callbackUrl': ['offboarding.callbackUrl', given],
    requestedBy: ['offboarding.requestedBy', given],
    reason: ['offboarding.reason', given],
  },
};

const SERVICENOW_OFFBOARDING: Mapping = {
  shape: {
    '': ['number', 'variables'],
    variables: ['user_name', 'grace_period_days', 'callback_url', 'requested_by', 'reason'],
  },
  fields: {
    requestId: ['number', given],
    userName: ['variables.user_name', given],
    gracePeriodDays: ['variables.grace_period_days', days],
    'contact.callbackUrl': ['variables.callback_url', given],
    requestedBy: ['variables.requested_by', given],
    reason: ['variables.reason', given],
  },
};

export type RequestKind = 'onboarding' | 'offboarding';

const MAPPINGS: Record<RequestKind, Record<Exclude<Source, 'generic'>, Mapping>> = {
  onboarding: { jira: JIRA, servicenow: SERVICENOW },
  offboarding: { jira: JIRA_OFFBOARDING, servicenow: SERVICENOW_OFFBOARDING },
};

function at(body: Json, path: string): unknown {
  let value: unknown = body;
  for (const key of path.split('.')) value = isObject(value) ? value[key] : undefined;
  return value;
}

function checkShape(source: Source, body: unknown, mapping: Mapping): Json {
  const issues: FieldIssue[] = [];
  if (!isObject(body)) {
    throw new InvalidRequestError(`invalid ${source} payload: the body must be a JSON object`, [
      { path: '(body)', message: 'must be a JSON object' },
    ]);
  }
  for (const [name, allowed] of Object.entries(mapping.shape)) {
    const value = name === '' ? body : body[name];
    if (value === undefined) continue;
    if (!isObject(value)) {
      issues.push({ path: name, message: 'must be a JSON object' });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        issues.push({
          path: name ? `${name}.${key}` : key,
          message: `unknown field (expected one of: ${allowed.join(', ')})`,
        });
      }
    }
  }
  if (issues.length > 0) {
    throw new InvalidRequestError(
      `invalid ${source} payload: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return body;
}

function mapped(source: Exclude<Source, 'generic'>, body: unknown, kind: RequestKind): Adapted {
  const mapping = MAPPINGS[kind][source];
  const payload = checkShape(source, body, mapping);
  const request: Json = {};
  const contact: Json = {};
  for (const [field, [path, convert]] of Object.entries(mapping.fields)) {
    const value = convert(at(payload, path));
    if (field.startsWith('contact.')) contact[field.slice('contact.'.length)] = value;
    else request[field] = value;
  }
  const contactGiven = compact(contact);
  if (Object.keys(contactGiven).length > 0) request.contact = contactGiven;
  return {
    request: compact(request),
    fieldName: (path) => {
      // The longest request path the mapping knows, with the rest (an array index) kept.
      const known = Object.keys(mapping.fields)
        .filter((f) => path === f || path.startsWith(`${f}.`))
        .sort((a, b) => b.length - a.length)[0];
      if (known) return `${mapping.fields[known]?.[0]}${path.slice(known.length)}`;
      return path === '(request)' ? '(body)' : path;
    },
  };
}

export function adapt(source: Source, body: unknown, kind: RequestKind = 'onboarding'): Adapted {
  if (source === 'generic') return { request: body, fieldName: (path) => path };
  return mapped(source, body, kind);
}

export class UnknownSourceError extends Error {
  override readonly name = 'UnknownSource' as const;
}

/**
 * Which adapter: the path (`/onboardings/jira`), or on `/onboardings` a `source` query parameter or an
 * `X-Onboarding-Source` header. Two that disagree are an error, not a guess.
 */
export function sourceOf(
  pathSource: Source,
  query: URLSearchParams,
  headers: Record<string, string | undefined>,
): Source {
  const asked = [query.get('source'), headers['x-onboarding-source']]
    .filter((v): v is string => v !== null && v !== undefined)
    .map((v) => v.trim().toLowerCase());
  for (const value of asked) {
    if (!(SOURCES as readonly string[]).includes(value)) {
      throw new UnknownSourceError(`unknown source "${value}" (one of: ${SOURCES.join(', ')})`);
    }
  }
  const chosen = new Set([...(pathSource === 'generic' ? [] : [pathSource]), ...asked]);
  if (chosen.size > 1) {
    throw new UnknownSourceError(`the path, the source parameter and the header disagree on the source`);
  }
  return ([...chosen][0] as Source | undefined) ?? pathSource;
}

/** An approver's decision as a ticketing tool sends it, turned into the approval body. */
export interface AdaptedApproval {
  body: unknown;
  /** The tool's name for an approval field (`decision` -> `approval.state`). */
  fieldName(path: string): string;
  /** An issue's message in the tool's words (its names for the two decisions). */
  message(path: string, message: string): string;
}

/** The tools' words for the two decisions (Jira Service Management: approved/declined; ServiceNow: approved/rejected). */
const DECISIONS: Record<Exclude<Source, 'generic'>, Record<string, 'approve' | 'deny'>> = {
  jira: { approved: 'approve', approve: 'approve', declined: 'deny', decline: 'deny', deny: 'deny' },
  servicenow: { approved: 'approve', approve: 'approve', rejected: 'deny', reject: 'deny', deny: 'deny' },
};

const APPROVAL_MAPPINGS: Record<
  Exclude<Source, 'generic'>,
  { shape: Mapping['shape']; key: string; fields: Record<'approver' | 'decision' | 'reason', string> }
> = {
  jira: {
    shape: { '': ['issue', 'approval'], issue: ['key'], approval: ['approver', 'decision', 'comment'] },
    key: 'issue.key',
    fields: { approver: 'approval.approver', decision: 'approval.decision', reason: 'approval.comment' },
  },
  servicenow: {
    shape: { '': ['number', 'approval'], approval: ['approver', 'state', 'comments'] },
    key: 'number',
    fields: { approver: 'approval.approver', decision: 'approval.state', reason: 'approval.comments' },
  },
};

/**
 * `POST /onboardings/{requestId}/approval`: the generic body is `{approver, decision, reason?}`; Jira's
 * and ServiceNow's approval records are mapped onto it. A ticket key in the payload must be the path's.
 */
export function adaptApproval(source: Source, requestId: string, body: unknown): AdaptedApproval {
  if (source === 'generic') return { body, fieldName: (path) => path, message: (_path, message) => message };
  const mapping = APPROVAL_MAPPINGS[source];
  const payload = checkShape(source, body, { shape: mapping.shape, fields: {} });
  const key = given(at(payload, mapping.key));
  if (key !== undefined && key !== requestId) {
    throw new InvalidRequestError(
      `invalid ${source} approval: ${mapping.key} is ${JSON.stringify(key)}, but the path names request ${requestId}`,
      [{ path: mapping.key, message: `must be ${requestId}, the request id of the path` }],
    );
  }
  const decision = given(at(payload, mapping.fields.decision));
  const word = typeof decision === 'string' ? DECISIONS[source][decision.trim().toLowerCase()] : undefined;
  return {
    body: compact({
      approver: given(at(payload, mapping.fields.approver)),
      // An unknown word stays as sent, so that the error names it.
      decision: word ?? decision,
      reason: given(at(payload, mapping.fields.reason)),
    }),
    fieldName: (path) =>
      Object.hasOwn(mapping.fields, path) ? mapping.fields[path as keyof typeof mapping.fields] : path,
    message: (path, message) =>
      path === 'decision'
        ? `must be one of: ${Object.keys(DECISIONS[source]).join(', ')}`
        : message.replace(/\(expected approver, decision, reason\)/, ''),
  };
}
