import type { EmUser } from '../state.ts';
import { clockNow, type IamCallContext } from './params.ts';

/**
 * What hangs on a user and keeps DeleteUser answering DeleteConflict, with IAM's message for each
 * (SSH public keys and service-specific credentials share IAM's generic one). After the last of them
 * goes, IAM can still answer DeleteConflict for a moment, while the removal propagates: the emulator
 * does so only when asked (`deleteUserSettleMs`, `deleteUserStaleConflicts`), with the message of the
 * dependency that went last, as the stale view still sees it.
 */

export const DELETE_USER_CONFLICT = {
  inlinePolicies: 'Cannot delete entity, must delete policies first.',
  attachedPolicies: 'Cannot delete entity, must detach all policies first.',
  accessKeys: 'Cannot delete entity, must delete access keys first.',
  loginProfile: 'Cannot delete entity, must delete login profile first.',
  signingCertificates: 'Cannot delete entity, must delete certificates first.',
  sshPublicKeys: 'Cannot delete entity, must remove referenced objects first.',
  serviceSpecificCredentials: 'Cannot delete entity, must remove referenced objects first.',
  mfaDevices: 'Cannot delete entity, must delete MFA device first.',
  groups: 'Cannot delete entity, must remove users from group first.',
} as const;

export type UserDependency = keyof typeof DELETE_USER_CONFLICT;

/** The first thing that still hangs on the user, in the order the emulator checks them. */
export function userConflict(u: EmUser): string | undefined {
  const present: Record<UserDependency, boolean> = {
    inlinePolicies: Object.keys(u.inline).length > 0,
    attachedPolicies: u.policies.length > 0,
    accessKeys: u.keys.length > 0,
    loginProfile: u.loginProfile !== undefined,
    signingCertificates: u.signingCertificates.length > 0,
    sshPublicKeys: u.sshPublicKeys.length > 0,
    serviceSpecificCredentials: u.serviceSpecificCredentials.length > 0,
    mfaDevices: u.mfaDevices.length > 0,
    groups: u.groups.length > 0,
  };
  const first = (Object.keys(DELETE_USER_CONFLICT) as UserDependency[]).find((d) => present[d]);
  return first ? DELETE_USER_CONFLICT[first] : undefined;
}

/** Notes that something that hung on the user went: DeleteUser may still see it for a while. */
export function dependencyGone(user: EmUser, what: UserDependency, ctx: IamCallContext): void {
  user.lastRemoval = {
    at: clockNow(ctx),
    conflict: DELETE_USER_CONFLICT[what],
    staleConflictsLeft: ctx.settings.deleteUserStaleConflicts,
  };
}

/** The stale DeleteConflict a DeleteUser answers right after the last removal, if any (spends one). */
export function staleConflict(user: EmUser, ctx: IamCallContext): string | undefined {
  const removal = user.lastRemoval;
  if (!removal) return undefined;
  if (removal.staleConflictsLeft > 0) {
    removal.staleConflictsLeft -= 1;
    return removal.conflict;
  }
  if (ctx.settings.clock() - Date.parse(removal.at) < ctx.settings.deleteUserSettleMs)
    return removal.conflict;
  return undefined;
}
