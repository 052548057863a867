import { AwsError } from '../errors.ts';
import type { EmPasswordPolicy } from '../state.ts';
import { type Actions, constraint, page, required } from './params.ts';

/** Account-wide settings: the password policy and the account alias (the sign-in URL's name). */

const ALIAS = /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

function bool(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new AwsError('ValidationError', `Invalid boolean value: ${value}`);
}

function integer(value: string | null, field: string, min: number, max: number): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw constraint(field, `Member must have value between ${min} and ${max}`);
  }
  return n;
}

export const accountSettingsActions: Actions = {
  GetAccountPasswordPolicy(_p, s) {
    if (!s.passwordPolicy) {
      throw new AwsError(
        'NoSuchEntity',
        `The Password Policy with domain name ${s.accountId} cannot be found.`,
      );
    }
    const policy = s.passwordPolicy;
    return {
      PasswordPolicy: {
        ...policy,
        ExpirePasswords: policy.MaxPasswordAge !== undefined,
      },
    };
  },
  UpdateAccountPasswordPolicy(p, s) {
    // Every field left out takes IAM's default: an update replaces the whole policy.
    const policy: EmPasswordPolicy = {
      MinimumPasswordLength: integer(p.get('MinimumPasswordLength'), 'minimumPasswordLength', 6, 128) ?? 6,
      RequireSymbols: bool(p.get('RequireSymbols')) ?? false,
      RequireNumbers: bool(p.get('RequireNumbers')) ?? false,
      RequireUppercaseCharacters: bool(p.get('RequireUppercaseCharacters')) ?? false,
      RequireLowercaseCharacters: bool(p.get('RequireLowercaseCharacters')) ?? false,
      AllowUsersToChangePassword: bool(p.get('AllowUsersToChangePassword')) ?? false,
    };
    const maxAge = integer(p.get('MaxPasswordAge'), 'maxPasswordAge', 1, 1095);
    const reuse = integer(p.get('PasswordReusePrevention'), 'passwordReusePrevention', 1, 24);
    const hardExpiry = bool(p.get('HardExpiry'));
    if (maxAge !== undefined) policy.MaxPasswordAge = maxAge;
    if (reuse !== undefined) policy.PasswordReusePrevention = reuse;
    if (hardExpiry !== undefined) policy.HardExpiry = hardExpiry;
    s.passwordPolicy = policy;
    return undefined;
  },
  DeleteAccountPasswordPolicy(_p, s) {
    if (!s.passwordPolicy) {
      throw new AwsError(
        'NoSuchEntity',
        `The Password Policy with domain name ${s.accountId} cannot be found.`,
      );
    }
    delete s.passwordPolicy;
    return undefined;
  },
  ListAccountAliases(p, s) {
    const { items, ...rest } = page(s.accountAliases, p);
    return { AccountAliases: items, ...rest };
  },
  CreateAccountAlias(p, s) {
    const alias = required(p, 'AccountAlias');
    if (!ALIAS.test(alias)) {
      throw constraint(
        'accountAlias',
        'Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$',
      );
    }
    // An account has one alias: a new one replaces it.
    s.accountAliases = [alias];
    return undefined;
  },
  DeleteAccountAlias(p, s) {
    const alias = required(p, 'AccountAlias');
    if (!s.accountAliases.includes(alias)) {
      throw new AwsError('NoSuchEntity', `The account alias ${alias} cannot be found.`);
    }
    s.accountAliases = s.accountAliases.filter((a) => a !== alias);
    return undefined;
  },
};
