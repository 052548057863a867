import { AwsError } from '../errors.ts';
import type { EmLoginProfile, EmUser } from '../state.ts';
import { getUser } from './account.ts';
import { dependencyGone } from './dependencies.ts';
import {
  type Actions,
  checkLength,
  clockNow,
  type IamCallContext,
  now,
  required,
  userName,
} from './params.ts';
import { checkPassword, hashPassword, passwordMatches } from './passwords.ts';
import { callerOf } from './users.ts';

/**
 * Login profiles (console passwords): Create, Get, Update, Delete, and ChangePassword by the user
 * itself. The password is kept only as a salted hash. Right after a change IAM refuses another one
 * for a moment ("cannot be modified while login profile is being created"): EntityTemporarilyUnmodifiable,
 * for `loginProfileSettleMs`.
 */

function profileOf(user: EmUser): EmLoginProfile {
  if (!user.loginProfile) {
    throw new AwsError('NoSuchEntity', `Login Profile for User ${user.name} cannot be found.`);
  }
  return user.loginProfile;
}

function checkSettled(user: EmUser, profile: EmLoginProfile, ctx: IamCallContext): void {
  const since = profile.changed ?? profile.created;
  if (ctx.settings.clock() - Date.parse(since) < ctx.settings.loginProfileSettleMs) {
    throw new AwsError(
      'EntityTemporarilyUnmodifiable',
      `Login Profile for User ${user.name} cannot be modified while login profile is being created.`,
    );
  }
}

const profileXml = (user: EmUser, profile: EmLoginProfile) => ({
  UserName: user.name,
  CreateDate: profile.created,
  PasswordResetRequired: profile.passwordResetRequired,
});

function bool(value: string | null): boolean | undefined {
  return value === null ? undefined : value === 'true';
}

export const loginProfileActions: Actions = {
  CreateLoginProfile(p, s, ctx) {
    const user = getUser(s, userName(p));
    const password = required(p, 'Password');
    checkLength(password, 'password', 1, 128);
    if (user.loginProfile) {
      throw new AwsError('EntityAlreadyExists', `Login Profile for user ${user.name} already exists.`);
    }
    checkPassword(s, password, user.name);
    user.loginProfile = {
      created: now(),
      changed: clockNow(ctx),
      passwordResetRequired: bool(p.get('PasswordResetRequired')) ?? false,
      passwordHash: hashPassword(password),
    };
    return { LoginProfile: profileXml(user, user.loginProfile) };
  },
  GetLoginProfile(p, s) {
    const user = getUser(s, userName(p));
    return { LoginProfile: profileXml(user, profileOf(user)) };
  },
  UpdateLoginProfile(p, s, ctx) {
    const user = getUser(s, userName(p));
    const profile = profileOf(user);
    checkSettled(user, profile, ctx);
    const password = p.get('Password');
    if (password !== null) {
      checkLength(password, 'password', 1, 128);
      checkPassword(s, password, user.name);
      profile.passwordHash = hashPassword(password);
    }
    const reset = bool(p.get('PasswordResetRequired'));
    if (reset !== undefined) profile.passwordResetRequired = reset;
    profile.changed = clockNow(ctx);
    return undefined;
  },
  DeleteLoginProfile(p, s, ctx) {
    const user = getUser(s, userName(p));
    checkSettled(user, profileOf(user), ctx);
    delete user.loginProfile;
    dependencyGone(user, 'loginProfile', ctx);
    return undefined;
  },
  ChangePassword(p, s, ctx) {
    // Only a user changes their own password: the caller is the user whose key signed the call.
    const user = callerOf(s, ctx.accessKeyId);
    if (!user) {
      throw new AwsError('InvalidUserType', 'Only IAM users can change their own password.');
    }
    const oldPassword = required(p, 'OldPassword');
    const newPassword = required(p, 'NewPassword');
    checkLength(newPassword, 'newPassword', 1, 128);
    const profile = profileOf(user);
    if (!passwordMatches(profile.passwordHash, oldPassword)) {
      throw new AwsError('AccessDenied', 'The old password is incorrect.');
    }
    if (oldPassword === newPassword) {
      throw new AwsError('PasswordPolicyViolation', 'The new password must differ from the old one.');
    }
    checkPassword(s, newPassword, user.name);
    profile.passwordHash = hashPassword(newPassword);
    profile.passwordResetRequired = false;
    profile.changed = clockNow(ctx);
    return undefined;
  },
};
