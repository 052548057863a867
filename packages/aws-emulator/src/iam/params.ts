import { AwsError } from '../errors.ts';
import type { CallContext } from '../router.ts';
import { type EmulatorState, pageOffset, pageToken } from '../state.ts';
import type { XmlValue } from '../xml.ts';

/**
 * What every IAM action shares: the awsQuery parameters, IAM's validation and its wording, awsQuery's
 * lists of structures, Marker paging and the account's quotas.
 */

export type Params = URLSearchParams;
/** One IAM action: the awsQuery parameters in, its Result out, over the account of the call. */
export type Action = (p: Params, s: EmulatorState, ctx: IamCallContext) => XmlValue;

/**
 * IAM's eventual consistency, which AWS shows now and then and the emulator only when asked (see
 * EmulatorOptions): each window is measured on `clock`, so a test can move time instead of sleeping.
 */
export interface ConsistencySettings {
  /** How long a login profile stays EntityTemporarilyUnmodifiable after a change; 0: never. */
  loginProfileSettleMs: number;
  /** How long DeleteUser still answers DeleteConflict after the last thing that hung on the user went; 0: never. */
  deleteUserSettleMs: number;
  /** How many DeleteUser calls still answer DeleteConflict after the last thing that hung on the user went; 0: none. */
  deleteUserStaleConflicts: number;
}

/** How the emulated IAM behaves where AWS leaves room; read at each call, so it can change between calls. */
export interface IamSettings extends ConsistencySettings {
  /** Milliseconds since the epoch, for the windows above (Date.now unless a test injects its own). */
  clock: () => number;
}

export const DEFAULT_IAM_SETTINGS: IamSettings = {
  loginProfileSettleMs: 0,
  deleteUserSettleMs: 0,
  deleteUserStaleConflicts: 0,
  clock: () => Date.now(),
};

export interface IamCallContext extends CallContext {
  settings: IamSettings;
}
export type Actions = Record<string, Action>;

export const LIMITS = {
  accessKeysPerUser: 2,
  sshPublicKeysPerUser: 5,
  signingCertificatesPerUser: 2,
  serviceSpecificCredentialsPerUserPerService: 2,
  policiesPerGroup: 10,
  policiesPerUser: 10,
  groupsPerUser: 10,
  tags: 50,
};

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^\/$|^\/[\u0021-\u007E]+\/$/;

export const now = () => new Date().toISOString();
/** The settings' clock as a timestamp: when something starts a consistency window. */
export const clockNow = (ctx: { settings: IamSettings }) => new Date(ctx.settings.clock()).toISOString();

/** IAM's wording for a field that fails its model constraint (the value itself is not echoed). */
export const constraint = (field: string, rule: string) =>
  new AwsError(
    'ValidationError',
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${rule}`,
  );

export function required(p: Params, name: string): string {
  const value = p.get(name);
  if (value === null) throw constraint(name[0]?.toLowerCase() + name.slice(1), 'Member must not be null');
  return value;
}

export function checkLength(value: string, field: string, min: number, max: number): void {
  if (value.length < min) throw constraint(field, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw constraint(field, `Member must have length less than or equal to ${max}`);
}

/** User, group, role and policy names: `[\w+=,.@-]`, with a per-field maximum length. */
export function checkName(value: string, field: string, max: number): string {
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
export const userName = (p: Params, creating = false) =>
  checkName(required(p, 'UserName'), 'userName', creating ? 64 : 128);
export const groupName = (p: Params) => checkName(required(p, 'GroupName'), 'groupName', 128);
export const roleName = (p: Params) => checkName(required(p, 'RoleName'), 'roleName', 64);
export const policyName = (p: Params) => checkName(required(p, 'PolicyName'), 'policyName', 128);

export function checkPath(value: string | null, field = 'path'): string {
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

export function checkPolicyDocument(document: string): string {
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
export function members(p: Params, list: string): [number, Record<string, string>][] {
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

/** Marker / IsTruncated / MaxItems, as every IAM List call pages (the marker is opaque to clients). */
export function page<T>(items: T[], p: Params): { items: T[]; IsTruncated: boolean; Marker?: string } {
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
