import { AwsError } from '../errors.ts';
import { getUser } from './account.ts';
import { type Actions, checkLength, now, required, userName } from './params.ts';

/** Login profiles (console passwords): Create, Get, Delete; the password itself is not kept. */

export const loginProfileActions: Actions = {
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
