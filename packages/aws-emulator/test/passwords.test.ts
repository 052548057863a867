import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordMatches } from '../src/iam/passwords.ts';

describe('login profile password hashes', () => {
  it('checks a password against its hash, never storing the password', () => {
    const hash = hashPassword('Corr3ct-horse!');
    expect(hash).not.toContain('Corr3ct-horse!');
    expect(passwordMatches(hash, 'Corr3ct-horse!')).toBe(true);
    expect(passwordMatches(hash, 'Corr3ct-horse?')).toBe(false);
  });

  it('still checks hashes written before the cost was recorded (Node default cost) from a state file', () => {
    const salt = randomBytes(16);
    const legacy = `scrypt:${salt.toString('base64')}:${scryptSync('Old-pass-1', salt, 32).toString('base64')}`;
    expect(passwordMatches(legacy, 'Old-pass-1')).toBe(true);
    expect(passwordMatches(legacy, 'Old-pass-2')).toBe(false);
  });

  it('refuses a malformed hash or an absurd cost', () => {
    expect(passwordMatches(undefined, 'x')).toBe(false);
    expect(passwordMatches('md5:abc', 'x')).toBe(false);
    expect(passwordMatches('scrypt:99999999:c2FsdA==:ZGlnZXN0', 'x')).toBe(false);
  });
});
