import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { AwsError } from '../errors.ts';
import type { EmPasswordPolicy, EmulatorState } from '../state.ts';

/**
 * The account's password rules. Without a policy IAM applies its default one: at least 8 characters,
 * at least three of uppercase, lowercase, numbers and symbols, and not the user's name.
 */

export const SYMBOLS = "!@#$%^&*()_+-=[]{}|'";

const classes = (password: string) => ({
  upper: /[A-Z]/.test(password),
  lower: /[a-z]/.test(password),
  number: /[0-9]/.test(password),
  symbol: [...password].some((c) => SYMBOLS.includes(c)),
});

/** Throws IAM's PasswordPolicyViolation when `password` breaks the account's rules. */
export function checkPassword(s: EmulatorState, password: string, userName: string): void {
  const problems = violations(s.passwordPolicy, password, userName);
  if (problems.length) {
    throw new AwsError(
      'PasswordPolicyViolation',
      `Password does not conform to the account password policy: ${problems.join('; ')}.`,
    );
  }
}

function violations(policy: EmPasswordPolicy | undefined, password: string, userName: string): string[] {
  const has = classes(password);
  const out: string[] = [];
  if (!policy) {
    if (password.length < 8) out.push('Password should have a minimum length of 8');
    if (Object.values(has).filter(Boolean).length < 3)
      out.push(
        'Password should have at least three of uppercase letters, lowercase letters, numbers, symbols',
      );
    if (password.toLowerCase() === userName.toLowerCase()) out.push('Password should not be the user name');
    return out;
  }
  if (password.length < policy.MinimumPasswordLength)
    out.push(`Password should have a minimum length of ${policy.MinimumPasswordLength}`);
  if (policy.RequireUppercaseCharacters && !has.upper)
    out.push('Password should have at least one uppercase letter');
  if (policy.RequireLowercaseCharacters && !has.lower)
    out.push('Password should have at least one lowercase letter');
  if (policy.RequireNumbers && !has.number) out.push('Password should have at least one number');
  if (policy.RequireSymbols && !has.symbol) out.push('Password should have at least one symbol');
  return out;
}

/**
 * scrypt's cost N. The hash only lets ChangePassword check the old password of a local, throwaway
 * account (and keeps the password itself out of a state file): 2^10 rather than Node's default 2^14,
 * which cost ~30 ms of CPU per login profile, the largest single cost of an onboarding here.
 */
const SCRYPT_COST = 1024;
/** Hashes written before the cost was recorded used Node's default. */
const LEGACY_SCRYPT_COST = 16384;

/** A salted scrypt hash (`scrypt:<N>:<salt>:<digest>`): enough to check an old password, never the password. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const digest = scryptSync(password, salt, 32, { N: SCRYPT_COST });
  return `scrypt:${SCRYPT_COST}:${salt.toString('base64')}:${digest.toString('base64')}`;
}

export function passwordMatches(hash: string | undefined, password: string): boolean {
  const parts = hash?.split(':') ?? [];
  const [kind, cost, salt, digest] =
    parts.length === 3 ? [parts[0], String(LEGACY_SCRYPT_COST), ...parts.slice(1)] : parts;
  const N = Number(cost);
  if (kind !== 'scrypt' || !salt || !digest || !Number.isInteger(N) || N < 2 || N > LEGACY_SCRYPT_COST)
    return false;
  const expected = Buffer.from(digest, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N });
  return timingSafeEqual(expected, actual);
}
