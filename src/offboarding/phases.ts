import {
  ConflictError,
  OffboardingIncompleteError,
  OffboardingRefusedError,
  OnboardingError,
} from '../errors.ts';
import type { LeaverGateway, LeaverInventory } from '../gateways/leaver.ts';
import type { SecretStore } from '../gateways/secrets.ts';
import { TAG_EXECUTION, TAG_OFFBOARDING } from '../request.ts';

/**
 * The offboarding's phases, each over the leaver gateway: Snapshot (read everything, refuse a user this
 * stack did not onboard), Contain (reversible: deny everything, switch every credential off, delete the
 * password), Restore (lift the containment exactly as the snapshot recorded it), Remove (everything, in
 * AWS's order, then the user) and Verify. Every phase is idempotent: run again after a lost answer or a
 * crash, it converges on the same account. The state machine's tasks call these.
 */

export interface OffboardingDeps {
  leaver: LeaverGateway;
  /**
   * The deny-all Contain attaches (src/config.ts containPolicyArn): deny everything, unconditionally. It
   * covers long-term access keys and every session the user's credentials issued, before or after this
   * moment - stronger than AWS's "revoke sessions" policy conditioned on `aws:TokenIssueTime`, which
   * leaves long-term keys working. (Role sessions the user assumed are the role's: they end when they
   * expire.)
   */
  containPolicyArn: string;
  secrets: Pick<SecretStore, 'describeSecret' | 'deleteSecret'>;
  /** The onboarding state machine of this stack: only users whose execution tag names it are offboarded. */
  onboardingStateMachineArn: string;
  /** The configured user path: a user outside it is not this project's. */
  userPath: string;
  sleep: (ms: number) => Promise<void>;
  now?: () => Date;
}

export interface Snapshot extends LeaverInventory {
  takenAt: string;
  /** The onboarding execution whose tag the user carries. */
  onboardedBy: string;
  /**
   * The user carried the containment's deny already (an earlier offboarding contained it): its
   * credentials' statuses are the contained ones, so this snapshot cannot say what to switch back on.
   */
  alreadyContained: boolean;
}

/** Why a user is not this stack's to offboard, or undefined when it is. */
export function notOurs(
  inventory: LeaverInventory,
  deps: Pick<OffboardingDeps, 'onboardingStateMachineArn' | 'userPath'>,
): string | undefined {
  const executionPrefix = `${deps.onboardingStateMachineArn.replace(':stateMachine:', ':execution:')}:`;
  const tag = inventory.user.tags[TAG_EXECUTION];
  if (inventory.user.path !== deps.userPath) {
    return `its path is ${inventory.user.path}, not this project's ${deps.userPath}`;
  }
  if (tag === undefined) return `it carries no ${TAG_EXECUTION} tag: no onboarding created it`;
  if (!tag.startsWith(executionPrefix)) {
    return `its ${TAG_EXECUTION} tag names ${tag}, an execution of another state machine`;
  }
  return undefined;
}

/** Snapshot: reads the user and everything on it; refuses (nothing changed) a user that is not ours. */
export async function takeSnapshot(userName: string, deps: OffboardingDeps): Promise<Snapshot> {
  const inventory = await deps.leaver.inventory(userName);
  if (!inventory) {
    throw new OffboardingRefusedError(
      `user "${userName}" does not exist: there is nothing to offboard (check the name with: aws iam get-user --user-name ${userName})`,
    );
  }
  const why = notOurs(inventory, deps);
  if (why) {
    throw new OffboardingRefusedError(
      `user "${userName}" was not onboarded by this stack (${why}): offboarding refused, nothing changed`,
    );
  }
  return {
    ...inventory,
    takenAt: (deps.now?.() ?? new Date()).toISOString(),
    onboardedBy: inventory.user.tags[TAG_EXECUTION] as string,
    alreadyContained: inventory.attachedPolicies.includes(deps.containPolicyArn),
  };
}

export interface Containment {
  containedAt: string;
  /** What Contain switched off (only what was Active): exactly what Restore switches on again. */
  deactivated: { kind: CredentialKind; id: string }[];
  loginProfileDeleted: boolean;
}

export type CredentialKind = 'access key' | 'SSH key' | 'signing certificate' | 'service-specific credential';

export function credentialsOf(s: LeaverInventory): { kind: CredentialKind; id: string; active: boolean }[] {
  return [
    ...s.accessKeys.map((c) => ({ kind: 'access key' as const, id: c.id, active: c.status === 'Active' })),
    ...s.sshPublicKeys.map((c) => ({ kind: 'SSH key' as const, id: c.id, active: c.status === 'Active' })),
    ...s.signingCertificates.map((c) => ({
      kind: 'signing certificate' as const,
      id: c.id,
      active: c.status === 'Active',
    })),
    ...s.serviceSpecificCredentials.map((c) => ({
      kind: 'service-specific credential' as const,
      id: c.id,
      active: c.status === 'Active',
    })),
  ];
}

function setStatus(
  deps: OffboardingDeps,
  user: string,
  kind: CredentialKind,
  id: string,
  status: 'Active' | 'Inactive',
): Promise<boolean> {
  const { leaver } = deps;
  switch (kind) {
    case 'access key':
      return leaver.updateAccessKey(user, id, status);
    case 'SSH key':
      return leaver.updateSshPublicKey(user, id, status);
    case 'signing certificate':
      return leaver.updateSigningCertificate(user, id, status);
    case 'service-specific credential':
      return leaver.updateServiceSpecificCredential(user, id, status);
  }
}

/**
 * Contain: the deny first (it takes effect for every credential and session at once), then every
 * Active credential Inactive, then the password deleted. Rerun, it puts the same deny and finds the
 * credentials already off.
 */
export async function contain(
  snapshot: Snapshot,
  deps: OffboardingDeps,
  /** The offboarding's request id: tagged on the user, so that an onboarding of the name meanwhile is refused naming it. */
  requestId?: string,
): Promise<Containment> {
  const user = snapshot.user.name;
  const containedAt = snapshot.takenAt;
  await deps.leaver.attachUserPolicy(user, deps.containPolicyArn);
  if (requestId) await deps.leaver.tagUser(user, TAG_OFFBOARDING, requestId);
  const deactivated: Containment['deactivated'] = [];
  for (const c of credentialsOf(snapshot)) {
    if (!c.active) continue;
    if (await setStatus(deps, user, c.kind, c.id, 'Inactive')) deactivated.push({ kind: c.kind, id: c.id });
  }
  // Gone either way once the snapshot saw one: deleted now, or by an earlier attempt whose answer was lost.
  if (snapshot.loginProfile) await deps.leaver.deleteLoginProfile(user);
  return { containedAt, deactivated, loginProfileDeleted: snapshot.loginProfile };
}

export interface Restoration {
  reactivated: { kind: CredentialKind; id: string }[];
  /** Credentials that were Active and are gone now (someone deleted them during the grace period). */
  missing: { kind: CredentialKind; id: string }[];
  /**
   * A deleted password cannot come back (IAM never returns it): the member needs a new one, handed
   * over as onboarding hands one over.
   */
  loginProfile: 'not-deleted' | 'needs-new-password';
}

/** Restore: every credential that was Active is Active again, then the deny goes. */
export async function restore(snapshot: Snapshot, deps: OffboardingDeps): Promise<Restoration> {
  const user = snapshot.user.name;
  if (snapshot.alreadyContained) {
    // Lifting the deny now would leave every credential off while saying "restored".
    throw new OffboardingRefusedError(
      `user "${user}": this snapshot was taken after the user was contained, so it does not say which credentials were active; restore from the snapshot the containing offboarding recorded (taken at its start)`,
    );
  }
  const reactivated: Restoration['reactivated'] = [];
  const missing: Restoration['missing'] = [];
  for (const c of credentialsOf(snapshot)) {
    if (!c.active) continue;
    if (await setStatus(deps, user, c.kind, c.id, 'Active')) reactivated.push({ kind: c.kind, id: c.id });
    else missing.push({ kind: c.kind, id: c.id });
  }
  await deps.leaver.untagUser(user, TAG_OFFBOARDING);
  await deps.leaver.detachUserPolicy(user, deps.containPolicyArn);
  return { reactivated, missing, loginProfile: snapshot.loginProfile ? 'needs-new-password' : 'not-deleted' };
}

/** The removal, one kind at a time, in AWS's documented order; the deny stays on until the user goes. */
export const REMOVE_STEPS = [
  'login profile',
  'access keys',
  'signing certificates',
  'SSH keys',
  'service-specific credentials',
  'MFA devices',
  'inline policies',
  'attached policies',
  'group memberships',
  'user',
] as const;
export type RemoveStep = (typeof REMOVE_STEPS)[number];

/** What is left on a user, in words (the names and ids, never a secret). */
export function remainingOf(inv: LeaverInventory | undefined): string[] {
  if (!inv) return [];
  return [
    ...(inv.loginProfile ? ['login profile'] : []),
    ...inv.accessKeys.map((k) => `access key ${k.id}`),
    ...inv.signingCertificates.map((k) => `signing certificate ${k.id}`),
    ...inv.sshPublicKeys.map((k) => `SSH key ${k.id}`),
    ...inv.serviceSpecificCredentials.map((k) => `service-specific credential ${k.id}`),
    ...inv.mfaDevices.map((d) => `MFA device ${d.serial}`),
    ...inv.inlinePolicies.map((p) => `inline policy ${p}`),
    ...inv.attachedPolicies.map((p) => `attached policy ${p}`),
    ...inv.groups.map((g) => `membership of ${g}`),
    `user ${inv.user.name}`,
  ];
}

/** How often, and how long apart, DeleteUser is tried again while IAM still sees a dependency. */
export const DELETE_USER_ATTEMPTS = 5;
export const DELETE_USER_DELAY_MS = 1_000;

/** One removal step over the user as it is now (read again: the grace period may have changed it). */
export async function removeStep(
  step: RemoveStep,
  inv: LeaverInventory,
  deps: OffboardingDeps,
  /**
   * The virtual MFA devices the snapshot saw: one deactivated by an earlier attempt whose delete failed
   * is no longer listed on the user, and left behind it would block the same name for a rehire.
   */
  snapshotVirtualDevices: readonly string[] = [],
): Promise<string[]> {
  const user = inv.user.name;
  const { leaver } = deps;
  const done: string[] = [];
  const each = async <T>(items: T[], fn: (item: T) => Promise<boolean>, label: (item: T) => string) => {
    for (const item of items) if (await fn(item)) done.push(label(item));
  };
  switch (step) {
    case 'login profile':
      if (inv.loginProfile && (await leaver.deleteLoginProfile(user))) done.push('login profile');
      break;
    case 'access keys':
      // Switched off first: a key is unusable from the moment removal starts, whatever fails next.
      for (const k of inv.accessKeys)
        if (k.status === 'Active') await leaver.updateAccessKey(user, k.id, 'Inactive');
      await each(
        inv.accessKeys,
        (k) => leaver.deleteAccessKey(user, k.id),
        (k) => `access key ${k.id}`,
      );
      break;
    case 'signing certificates':
      await each(
        inv.signingCertificates,
        (c) => leaver.deleteSigningCertificate(user, c.id),
        (c) => `signing certificate ${c.id}`,
      );
      break;
    case 'SSH keys':
      await each(
        inv.sshPublicKeys,
        (c) => leaver.deleteSshPublicKey(user, c.id),
        (c) => `SSH key ${c.id}`,
      );
      break;
    case 'service-specific credentials':
      await each(
        inv.serviceSpecificCredentials,
        (c) => leaver.deleteServiceSpecificCredential(user, c.id),
        (c) => `service-specific credential ${c.id}`,
      );
      break;
    case 'MFA devices':
      for (const d of inv.mfaDevices) {
        await leaver.deactivateMfaDevice(user, d.serial);
        // A hardware device belongs to the account's stock, not to the user: deactivated, never deleted.
        if (d.virtual) await leaver.deleteVirtualMfaDevice(d.serial);
        done.push(`MFA device ${d.serial}`);
      }
      for (const serial of snapshotVirtualDevices) {
        if (inv.mfaDevices.some((d) => d.serial === serial)) continue;
        if (await leaver.deleteVirtualMfaDevice(serial)) done.push(`MFA device ${serial}`);
      }
      break;
    case 'inline policies':
      await each(
        inv.inlinePolicies,
        (p) => leaver.deleteUserPolicy(user, p),
        (p) => `inline policy ${p}`,
      );
      break;
    case 'attached policies':
      // Detached, never deleted: others may use the policy. The containment's deny stays until the user goes.
      await each(
        inv.attachedPolicies.filter((p) => p !== deps.containPolicyArn),
        (p) => leaver.detachUserPolicy(user, p),
        (p) => `attached policy ${p}`,
      );
      break;
    case 'group memberships':
      // Memberships only: the groups stay for the others.
      await each(
        inv.groups,
        (g) => leaver.removeUserFromGroup(user, g),
        (g) => `membership of ${g}`,
      );
      break;
    case 'user':
      await leaver.detachUserPolicy(user, deps.containPolicyArn);
      for (let attempt = 1; ; attempt++) {
        try {
          if (await leaver.deleteUser(user)) done.push(`user ${user}`);
          break;
        } catch (error) {
          // IAM can see a dependency for a moment after its removal (eventual consistency).
          if (!(error instanceof ConflictError) || attempt >= DELETE_USER_ATTEMPTS) throw error;
          await deps.sleep(DELETE_USER_DELAY_MS * attempt);
        }
      }
      break;
  }
  return done;
}

export interface Removal {
  removed: string[];
  /** deleted; absent; or kept: a secret of that name that the user's onboarding did not create. */
  secret: 'deleted' | 'absent' | 'kept';
}

/**
 * Remove: every step over the user as it is now, then the user's credentials secret. A failure stops
 * here with the user still contained (nothing is switched on again) and names what is left; run again,
 * it finishes the job.
 */
export async function removeAll(
  snapshot: Snapshot,
  secretName: string,
  deps: OffboardingDeps,
): Promise<Removal> {
  const userName = snapshot.user.name;
  const removed: string[] = [];
  const inv = await deps.leaver.inventory(userName);
  try {
    for (const step of REMOVE_STEPS) {
      if (!inv) break;
      removed.push(
        ...(await removeStep(
          step,
          inv,
          deps,
          snapshot.mfaDevices.filter((d) => d.virtual).map((d) => d.serial),
        )),
      );
    }
  } catch (error) {
    // A throttle, a 5xx, a lost connection: the task is retried (every step reads the user again and
    // converges). Only a failure for good ends the removal here, naming what is left.
    if (error instanceof OnboardingError && error.kind !== 'permanent') throw error;
    const left = remainingOf(await deps.leaver.inventory(userName).catch(() => inv));
    throw new OffboardingIncompleteError(
      `offboarding of ${userName} stopped (${(error as Error).message}); the user stays contained; left: ${left.join(', ') || 'nothing'}. Run the offboarding again to finish.`,
      left,
      { cause: error },
    );
  }
  // The hand-over secret, only if the user's own onboarding made it (its execution tag says so).
  try {
    const secret = await deps.secrets.describeSecret(secretName);
    if (!secret || secret.deletedDate !== undefined) return { removed, secret: 'absent' };
    if (secret.tags[TAG_EXECUTION] !== snapshot.onboardedBy) return { removed, secret: 'kept' };
    return { removed, secret: (await deps.secrets.deleteSecret(secretName)) ? 'deleted' : 'absent' };
  } catch (error) {
    if (error instanceof OnboardingError && error.kind !== 'permanent') throw error;
    throw new OffboardingIncompleteError(
      `offboarding of ${userName} stopped (${(error as Error).message}); the user is gone; left: secret ${secretName}. Delete it once the cause is fixed: aws secretsmanager delete-secret --secret-id ${secretName}`,
      [`secret ${secretName}`],
      { cause: error },
    );
  }
}

/** Verify: the user is gone. */
export async function verifyGone(userName: string, deps: OffboardingDeps): Promise<void> {
  const left = remainingOf(await deps.leaver.inventory(userName));
  if (left.length > 0) {
    throw new OffboardingIncompleteError(`user ${userName} still exists; left: ${left.join(', ')}`, left);
  }
}
