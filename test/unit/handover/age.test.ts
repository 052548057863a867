import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decryptWith,
  encryptTo,
  InvalidRecipientError,
  recipientKind,
  UnreadableIdentityError,
  WrongIdentityError,
} from '../../../src/handover/age.ts';
import { ageKeyPair, sshKeyPair } from '../../helpers/hire-keys.ts';

const AGE_CLI = '/usr/bin/age';
const run = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Decrypts with Debian's age CLI, as the hire would: `age -d -i <key file> <file>`. */
async function ageCli(identity: string, armored: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'age-cli-'));
  dirs.push(dir);
  await writeFile(join(dir, 'key'), identity, { mode: 0o600 });
  await writeFile(join(dir, 'creds.age'), armored);
  const { stdout } = await run(AGE_CLI, ['-d', '-i', join(dir, 'key'), join(dir, 'creds.age')]);
  return stdout;
}

const SECRET = 'local-secret-value-that-must-round-trip';

describe('the age hand-over format', () => {
  it('finds the age CLI that CI installs (.ci/run: apt-get install -y age)', () => {
    expect(existsSync(AGE_CLI)).toBe(true);
  });

  it('writes an armored file to an age recipient that the age CLI decrypts', async () => {
    const { identity, recipient } = await ageKeyPair();

    const armored = await encryptTo(recipient, SECRET);

    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(armored).not.toContain(SECRET);
    expect(await ageCli(identity, armored)).toBe(SECRET);
  });

  it('writes an ssh-ed25519 stanza that the age CLI decrypts with the SSH private key', async () => {
    const { publicKey, privateKey } = sshKeyPair();

    const armored = await encryptTo(publicKey, SECRET);

    expect(armored).not.toContain(SECRET);
    expect(await ageCli(privateKey, armored)).toBe(SECRET);
  });

  it('decrypts, itself, what it wrote to either kind of key', async () => {
    const age = await ageKeyPair();
    const ssh = sshKeyPair();

    expect(await decryptWith(age.identity, await encryptTo(age.recipient, SECRET))).toBe(SECRET);
    expect(await decryptWith(ssh.privateKey, await encryptTo(ssh.publicKey, SECRET))).toBe(SECRET);
  });

  it('decrypts what the age CLI encrypted to an SSH key (the stanza is the standard one both ways)', async () => {
    const ssh = sshKeyPair();
    const dir = await mkdtemp(join(tmpdir(), 'age-cli-'));
    dirs.push(dir);
    await writeFile(join(dir, 'plain'), SECRET);
    const { stdout } = await run(AGE_CLI, ['-a', '-r', ssh.publicKey, join(dir, 'plain')]);

    expect(await decryptWith(ssh.privateKey, stdout)).toBe(SECRET);
  });

  it('fails clearly with a key that the credentials were not encrypted to', async () => {
    const mine = await ageKeyPair();
    const other = await ageKeyPair();
    const otherSsh = sshKeyPair();
    const armored = await encryptTo(mine.recipient, SECRET);
    const toSsh = await encryptTo(sshKeyPair().publicKey, SECRET);

    await expect(decryptWith(other.identity, armored)).rejects.toThrow(WrongIdentityError);
    await expect(decryptWith(other.identity, armored)).rejects.toThrow(/encrypted to another key/);
    await expect(decryptWith(otherSsh.privateKey, toSsh)).rejects.toThrow(/encrypted to another key/);
  });

  it('refuses a file that is no key at all, naming both kinds it reads', async () => {
    await expect(
      decryptWith('hello', await encryptTo((await ageKeyPair()).recipient, SECRET)),
    ).rejects.toThrow(UnreadableIdentityError);
  });

  it('tells an age recipient, an ssh-ed25519 key and anything else apart', async () => {
    expect(recipientKind((await ageKeyPair()).recipient)).toBe('age');
    expect(recipientKind(sshKeyPair().publicKey)).toBe('ssh-ed25519');
    expect(() => recipientKind('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user')).toThrow(/ssh-ed25519 key/);
    expect(() => recipientKind('ssh-ed25519 AAAAnotakey')).toThrow(InvalidRecipientError);
    expect(() => recipientKind('age1notarecipient')).toThrow(/age recipient/);
  });
});
