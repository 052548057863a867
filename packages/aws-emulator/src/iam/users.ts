import { AwsError } from '../errors.ts';
import { type EmSession, type EmUser, type EmulatorState, key, randomId } from '../state.ts';
import { arn, byName, getUser } from './account.ts';
import { staleConflict, userConflict } from './dependencies.ts';
import { findPolicy } from './managed-policies.ts';
import { type Actions, checkPath, now, page, userName } from './params.ts';
import { tagsOf } from './tags.ts';

/** Users: CreateUser, GetUser (of a name or of the caller), ListUsers, DeleteUser. */

/** GetUser and CreateUser answer tags and the boundary; list calls do not (as IAM). */
export function userXml(s: EmulatorState, u: EmUser, full: boolean) {
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

/**
 * The user whose access key signed the request, if it is one of the account's: a long-term key of
 * theirs, or an unexpired session (GetSessionToken) that one of their keys obtained.
 */
export function callerOf(s: EmulatorState, accessKeyId: string | undefined): EmUser | undefined {
  if (!accessKeyId) return undefined;
  const session = liveSession(s, accessKeyId);
  if (session) return s.users[session.user];
  return Object.values(s.users).find((u) => u.keys.some((k) => k.id === accessKeyId));
}

/**
 * The user an action names, or, when `UserName` is omitted, the user whose access key signed the
 * request (as IAM decides for the caller's own keys, certificates, SSH keys and MFA devices).
 */
export function targetUser(p: URLSearchParams, s: EmulatorState, ctx: { accessKeyId?: string }): EmUser {
  if (p.get('UserName') !== null) return getUser(s, userName(p));
  const caller = callerOf(s, ctx.accessKeyId);
  if (!caller)
    throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
  return caller;
}

export function liveSession(s: EmulatorState, accessKeyId: string): EmSession | undefined {
  const session = s.sessions[accessKeyId];
  return session && Date.parse(session.expires) > Date.now() ? session : undefined;
}

export const userActions: Actions = {
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
      sshPublicKeys: [],
      signingCertificates: [],
      serviceSpecificCredentials: [],
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
  DeleteUser(p, s, ctx) {
    const user = getUser(s, userName(p));
    // Deleting waits until nothing hangs on the user, and (when asked) until the last removal settled.
    const conflict = userConflict(user) ?? staleConflict(user, ctx);
    if (conflict) throw new AwsError('DeleteConflict', conflict);
    delete s.users[key(user.name)];
    return undefined;
  },
};
