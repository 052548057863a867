import { randomBytes } from 'node:crypto';
import * as z from 'zod';

/**
 * The emulated account: plain JSON, so it can be snapshotted, seeded, sent over HTTP and saved to a
 * file. A seed may be written by hand: everything but the names has a default, and records are keyed
 * again by name on the way in, so `{ "users": { "x": { "name": "alice" } } }` is a valid account.
 */

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** IAM's unique ids: a type prefix (AIDA user, AGPA group, AROA role, ANPA policy, AKIA key) and base32. */
export function randomId(prefix: string, length = 21): string {
  // 256 is a multiple of 32: `b % 32` keeps every character equally likely.
  return prefix + Array.from(randomBytes(length - prefix.length), (b) => ID_ALPHABET[b % 32]).join('');
}

const now = () => new Date().toISOString();

const tag = z.object({ Key: z.string(), Value: z.string() });

const accessKey = z.object({
  id: z.string(),
  secret: z.string(),
  status: z.enum(['Active', 'Inactive']).default('Active'),
  created: z.string().default(now),
  /** The last request signed with the key (GetAccessKeyLastUsed); absent: never used. */
  lastUsed: z.object({ date: z.string(), service: z.string(), region: z.string() }).optional(),
});

const credentialStatus = z.enum(['Active', 'Inactive']).default('Active');

/** An SSH public key (CodeCommit's), kept in OpenSSH form; its id starts APKA. */
const sshPublicKey = z.object({
  id: z.string(),
  body: z.string(),
  /** MD5 of the key blob, colon-separated hex, as IAM reports it. */
  fingerprint: z.string(),
  status: credentialStatus,
  uploaded: z.string().default(now),
});

/** An X.509 signing certificate (PEM), identified by IAM's certificate id. */
const signingCertificate = z.object({
  id: z.string(),
  body: z.string(),
  status: credentialStatus,
  uploaded: z.string().default(now),
});

/**
 * A service-specific credential (CodeCommit or Keyspaces user name and password, or a Bedrock or
 * CloudWatch Logs API key). Its password or secret is not kept: IAM shows it once, at creation or reset.
 */
const serviceSpecificCredential = z.object({
  id: z.string(),
  service: z.string(),
  /** `<user>-at-<account>` for a password credential; absent for an API key. */
  serviceUserName: z.string().optional(),
  /** The public part of an API key (Bedrock, CloudWatch Logs). */
  alias: z.string().optional(),
  status: credentialStatus,
  created: z.string().default(now),
  expires: z.string().optional(),
});

const loginProfile = z.object({
  created: z.string().default(now),
  passwordResetRequired: z.boolean().default(false),
  /** `scrypt:<salt>:<hash>` (base64) of the password: ChangePassword checks the old one; never the password. */
  passwordHash: z.string().optional(),
  /** When the profile last changed (created, updated, password changed): it settles for a while after. */
  changed: z.string().optional(),
});

const user = z.object({
  name: z.string().min(1),
  path: z.string().default('/'),
  id: z.string().default(() => randomId('AIDA')),
  created: z.string().default(now),
  tags: z.array(tag).default([]),
  boundary: z.string().optional(),
  /** Group keys (lower-case names). */
  groups: z.array(z.string()).default([]),
  /** Attached managed policy ARNs. */
  policies: z.array(z.string()).default([]),
  /** Inline policies: name → JSON document. */
  inline: z.record(z.string(), z.string()).default({}),
  keys: z.array(accessKey).default([]),
  loginProfile: loginProfile.optional(),
  /** Serial numbers of the MFA devices enabled for the user (virtual ones are in `virtualMfaDevices`). */
  mfaDevices: z.array(z.string()).default([]),
  sshPublicKeys: z.array(sshPublicKey).default([]),
  signingCertificates: z.array(signingCertificate).default([]),
  serviceSpecificCredentials: z.array(serviceSpecificCredential).default([]),
  /**
   * The last removal of something that hung on the user (DeleteUser's stale view): when, the conflict
   * IAM may still report, and how many DeleteUser calls still report it.
   */
  lastRemoval: z
    .object({ at: z.string(), conflict: z.string(), staleConflictsLeft: z.number().int().min(0).default(0) })
    .optional(),
});

const group = z.object({
  name: z.string().min(1),
  path: z.string().default('/'),
  id: z.string().default(() => randomId('AGPA')),
  created: z.string().default(now),
  policies: z.array(z.string()).default([]),
  inline: z.record(z.string(), z.string()).default({}),
});

const policy = z.object({
  name: z.string().min(1),
  path: z.string().default('/'),
  id: z.string().default(() => randomId('ANPA')),
  arn: z.string(),
  /** The default version's document (what is evaluated). */
  document: z.string(),
  description: z.string().default(''),
  created: z.string().default(now),
  defaultVersionId: z.string().default('v1'),
  /** Every version, the default's included; absent for a policy that only ever had v1. */
  versions: z
    .array(z.object({ id: z.string(), document: z.string(), created: z.string().default(now) }))
    .optional(),
});

const deletionStatus = z.enum(['SUCCEEDED', 'FAILED', 'IN_PROGRESS', 'NOT_STARTED']);

const role = z.object({
  name: z.string().min(1),
  path: z.string().default('/'),
  id: z.string().default(() => randomId('AROA')),
  created: z.string().default(now),
  description: z.string().default(''),
  tags: z.array(tag).default([]),
  /** The service of a service-linked role. */
  service: z.string().optional(),
  /** The service still uses the role: a deletion task ends FAILED and the role stays. */
  inUse: z.boolean().optional(),
  /** Statuses a deletion task reports, one per poll, before its final one (e.g. ["IN_PROGRESS"]). */
  deletionSteps: z.array(z.enum(['IN_PROGRESS', 'NOT_STARTED'])).optional(),
});

const secret = z.object({
  name: z.string().min(1),
  arn: z.string(),
  value: z.string().default(''),
  versionId: z.string(),
  description: z.string().default(''),
  tags: z.array(tag).default([]),
  created: z.string().default(now),
  /** When a scheduled deletion will purge the secret; absent while the secret is live. */
  deletedDate: z.string().optional(),
  resourcePolicy: z.string().optional(),
  clientTokens: z.array(z.string()).default([]),
});

const deletionTask = z.object({
  status: deletionStatus,
  reason: z.string().optional(),
  /** Statuses still to report before `status`. */
  pending: z.array(z.enum(['IN_PROGRESS', 'NOT_STARTED'])).optional(),
});

const virtualMfaDevice = z.object({
  /** `arn:aws:iam::<account>:mfa<path><name>` */
  serial: z.string(),
  /** The TOTP seed, base32 (RFC 4648, no padding), as IAM gives it in Base32StringSeed. */
  seed: z.string(),
  created: z.string().default(now),
  tags: z.array(tag).default([]),
  /** The user (key) it is enabled for, and since when. */
  user: z.string().optional(),
  enabled: z.string().optional(),
});

/**
 * A hardware TOTP token IAM knows by its serial number (printed on the device, e.g. `GAHT12345678`),
 * with the seed its vendor registered: not an IAM entity, it is never created or deleted, only
 * enabled for a user (EnableMFADevice) and deactivated.
 */
const hardwareMfaDevice = z.object({
  serial: z.string(),
  seed: z.string(),
  user: z.string().optional(),
  enabled: z.string().optional(),
});

/** Temporary credentials from STS GetSessionToken: a user's, with or without MFA. */
const session = z.object({
  accessKeyId: z.string(),
  secret: z.string(),
  token: z.string(),
  /** The user (key) whose long-term key asked for the session. */
  user: z.string(),
  /** Signed in with MFA: `aws:MultiFactorAuthPresent` is true for its calls. */
  mfa: z.boolean().default(false),
  created: z.string().default(now),
  expires: z.string(),
});

/** IAM's account password policy fields (GetAccountPasswordPolicy's names). */
const passwordPolicy = z.object({
  MinimumPasswordLength: z.number().int().min(6).max(128).default(6),
  RequireSymbols: z.boolean().default(false),
  RequireNumbers: z.boolean().default(false),
  RequireUppercaseCharacters: z.boolean().default(false),
  RequireLowercaseCharacters: z.boolean().default(false),
  AllowUsersToChangePassword: z.boolean().default(false),
  MaxPasswordAge: z.number().int().min(1).max(1095).optional(),
  PasswordReusePrevention: z.number().int().min(1).max(24).optional(),
  HardExpiry: z.boolean().optional(),
});

const stateSchema = z.object({
  accountId: z
    .string()
    .regex(/^\d{12}$/, 'an account id is 12 digits')
    .optional(),
  users: z.record(z.string(), user).default({}),
  groups: z.record(z.string(), group).default({}),
  policies: z.record(z.string(), policy).default({}),
  roles: z.record(z.string(), role).default({}),
  secrets: z.record(z.string(), secret).default({}),
  deletionTasks: z.record(z.string(), deletionTask).default({}),
  /** Virtual MFA devices by serial number, assigned or not. */
  virtualMfaDevices: z.record(z.string(), virtualMfaDevice).default({}),
  /** Hardware TOTP tokens by serial number, enabled for a user or not. */
  hardwareMfaDevices: z.record(z.string(), hardwareMfaDevice).default({}),
  /** The account's password policy; absent: none set (GetAccountPasswordPolicy is NoSuchEntity). */
  passwordPolicy: passwordPolicy.optional(),
  /** The account alias (IAM allows one), as ListAccountAliases lists it. */
  accountAliases: z.array(z.string()).default([]),
  /** STS sessions by their access key id. */
  sessions: z.record(z.string(), session).default({}),
});

export type EmTag = z.infer<typeof tag>;
export type EmAccessKey = z.infer<typeof accessKey>;
export type EmSshPublicKey = z.infer<typeof sshPublicKey>;
export type EmSigningCertificate = z.infer<typeof signingCertificate>;
export type EmServiceSpecificCredential = z.infer<typeof serviceSpecificCredential>;
export type EmUser = z.infer<typeof user>;
export type EmGroup = z.infer<typeof group>;
export type EmPolicy = z.infer<typeof policy>;
export type EmRole = z.infer<typeof role>;
export type EmSecret = z.infer<typeof secret>;
export type EmLoginProfile = z.infer<typeof loginProfile>;
export type EmVirtualMfaDevice = z.infer<typeof virtualMfaDevice>;
export type EmHardwareMfaDevice = z.infer<typeof hardwareMfaDevice>;
export type EmPasswordPolicy = z.infer<typeof passwordPolicy>;
export type EmSession = z.infer<typeof session>;
export type DeletionStatus = z.infer<typeof deletionStatus>;
/** The whole account, as `snapshot()` returns it. */
export type EmulatorState = Omit<z.infer<typeof stateSchema>, 'accountId'> & { accountId: string };
/** What `seed()` takes: the same shape, with everything but names and ARNs optional. */
export type EmulatorStateInput = z.input<typeof stateSchema>;

export class InvalidStateError extends Error {
  override readonly name = 'InvalidState' as const;
}

/** IAM names are unique case-insensitively: "Alice" and "alice" are the same user. */
export const key = (name: string) => name.toLowerCase();

function rekey<T extends { name: string }>(records: Record<string, T>, by: (item: T) => string) {
  return Object.fromEntries(Object.values(records).map((item) => [by(item), item]));
}

/** Validates a seed (from a test, a file or `PUT /_emulator/state`) and fills in its defaults. */
export function parseState(value: unknown, defaultAccountId: string): EmulatorState {
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidStateError(
      `invalid emulator state at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown'}`,
    );
  }
  const s = parsed.data;
  return {
    ...s,
    accountId: s.accountId ?? defaultAccountId,
    users: rekey(
      Object.fromEntries(Object.entries(s.users).map(([k, u]) => [k, { ...u, groups: u.groups.map(key) }])),
      (u) => key(u.name),
    ),
    groups: rekey(s.groups, (g) => key(g.name)),
    policies: rekey(s.policies, (p) => key(p.name)),
    roles: rekey(s.roles, (r) => key(r.name)),
    secrets: rekey(s.secrets, (x) => x.name),
    virtualMfaDevices: Object.fromEntries(
      Object.values(s.virtualMfaDevices).map((d) => [d.serial, d.user ? { ...d, user: key(d.user) } : d]),
    ),
    hardwareMfaDevices: Object.fromEntries(
      Object.values(s.hardwareMfaDevices).map((d) => [d.serial, d.user ? { ...d, user: key(d.user) } : d]),
    ),
  };
}

/** Page tokens (IAM's Marker, Secrets Manager's NextToken): opaque to clients, an offset to us. */
export const pageToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');

/** The offset in a page token, or undefined if the emulator did not issue it. */
export function pageOffset(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

export function emptyState(accountId: string): EmulatorState {
  return {
    accountId,
    users: {},
    groups: {},
    policies: {},
    roles: {},
    secrets: {},
    deletionTasks: {},
    virtualMfaDevices: {},
    hardwareMfaDevices: {},
    accountAliases: [],
    sessions: {},
  };
}
