import { randomBytes } from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { armor, Decrypter, Encrypter, type Identity, type Recipient, Stanza } from 'age-encryption';
import {
  fromB64,
  InvalidRecipientError,
  parseSshEd25519,
  recipientKind,
  SshReader,
  text,
} from './recipient.ts';

export { InvalidRecipientError, recipientKind };

/**
 * The hand-over format: age (C2SP age v1), armored, to the hire's own public key — an age X25519
 * recipient (`age1…`) or an OpenSSH ed25519 key (`ssh-ed25519 AAAA…`). `age-encryption` does X25519 and
 * the file format; it has no `ssh-ed25519` recipient type, so that stanza is built here per the spec
 * (the Ed25519 key mapped to X25519, tweaked by an HKDF of the SSH key, ChaCha20-Poly1305 around the
 * file key), as the `age` CLI does, so that `age -d -i ~/.ssh/id_ed25519` opens what we write.
 */

export class WrongIdentityError extends Error {
  override readonly name = 'WrongIdentity' as const;
}

export class UnreadableIdentityError extends Error {
  override readonly name = 'UnreadableIdentity' as const;
}

const SSH_LABEL = new TextEncoder().encode('age-encryption.org/v1/ssh-ed25519');
const b64nopad = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

/** SSH's wire format: a uint32 length, then the bytes. */
function sshString(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The stanza's tag: the first 4 bytes of SHA-256 of the SSH key's wire form. */
const sshTag = (wire: Uint8Array) => b64nopad(sha256(wire).subarray(0, 4));

class SshEd25519Recipient implements Recipient {
  private readonly wire: Uint8Array;
  private readonly theirX25519: Uint8Array;
  constructor(line: string) {
    const { wire, key } = parseSshEd25519(line);
    this.wire = wire;
    this.theirX25519 = ed25519.utils.toMontgomery(key);
  }
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = new Uint8Array(randomBytes(32));
    const share = x25519.getPublicKey(ephemeral);
    const tweak = hkdf(sha256, new Uint8Array(), this.wire, SSH_LABEL, 32);
    const shared = x25519.getSharedSecret(tweak, x25519.getSharedSecret(ephemeral, this.theirX25519));
    const wrapKey = hkdf(sha256, shared, concat(share, this.theirX25519), SSH_LABEL, 32);
    const body = chacha20poly1305(wrapKey, new Uint8Array(12)).encrypt(fileKey);
    return [new Stanza(['ssh-ed25519', sshTag(this.wire), b64nopad(share)], body)];
  }
}

class SshEd25519Identity implements Identity {
  private readonly secret: Uint8Array;
  private readonly ourX25519: Uint8Array;
  private readonly tag: string;
  private readonly tweak: Uint8Array;
  constructor(seed: Uint8Array, publicKey: Uint8Array) {
    const wire = concat(sshString(new TextEncoder().encode('ssh-ed25519')), sshString(publicKey));
    // The X25519 scalar of an Ed25519 key is the first half of SHA-512 of its seed (clamped by X25519).
    this.secret = sha512(seed).subarray(0, 32);
    this.ourX25519 = x25519.getPublicKey(this.secret);
    this.tag = sshTag(wire);
    this.tweak = hkdf(sha256, new Uint8Array(), wire, SSH_LABEL, 32);
  }
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== 'ssh-ed25519' || s.args.length !== 3 || s.args[1] !== this.tag) continue;
      const share = fromB64(s.args[2] ?? '');
      if (share.length !== 32) continue;
      const shared = x25519.getSharedSecret(this.tweak, x25519.getSharedSecret(this.secret, share));
      const wrapKey = hkdf(sha256, shared, concat(share, this.ourX25519), SSH_LABEL, 32);
      try {
        return chacha20poly1305(wrapKey, new Uint8Array(12)).decrypt(s.body);
      } catch {
        throw new WrongIdentityError('the ssh-ed25519 stanza names this key but does not open with it');
      }
    }
    return null;
  }
}

/** Encrypts `plaintext` to the recipient: an armored age file. */
export async function encryptTo(recipient: string, plaintext: string): Promise<string> {
  const value = recipient.trim();
  const e = new Encrypter();
  e.addRecipient(recipientKind(value) === 'age' ? value : new SshEd25519Recipient(value));
  return armor.encode(await e.encrypt(plaintext));
}

/** An unencrypted OpenSSH ed25519 private key: its seed and public key. */
function parseOpenSshPrivateKey(pem: string): { seed: Uint8Array; publicKey: Uint8Array } {
  const body = pem
    .replace(/-----BEGIN OPENSSH PRIVATE KEY-----/, '')
    .replace(/-----END OPENSSH PRIVATE KEY-----/, '')
    .replace(/\s+/g, '');
  const bytes = fromB64(body);
  const magic = new TextEncoder().encode('openssh-key-v1\0');
  if (bytes.length < magic.length || text(bytes.subarray(0, magic.length)) !== text(magic)) {
    throw new UnreadableIdentityError('the SSH private key is not in the OpenSSH format');
  }
  try {
    const r = new SshReader(bytes.subarray(magic.length));
    const cipher = text(r.string());
    const kdf = text(r.string());
    r.string();
    if (cipher !== 'none' || kdf !== 'none') {
      throw new UnreadableIdentityError(
        'the SSH private key is protected by a passphrase, which onboard reveal cannot open: decrypt with the age CLI instead (age -d -i <key file> <ciphertext file>)',
      );
    }
    if (r.uint32() !== 1) throw new UnreadableIdentityError('the SSH key file holds more than one key');
    r.string();
    const priv = new SshReader(r.string());
    // Two equal check words open the private section (they differ when a passphrase was wrong).
    const check1 = priv.uint32();
    const check2 = priv.uint32();
    if (check1 !== check2) throw new UnreadableIdentityError('the SSH key file is corrupt');
    const type = text(priv.string());
    if (type !== 'ssh-ed25519') {
      throw new UnreadableIdentityError(`SSH key type ${type} is not supported: use an ssh-ed25519 key`);
    }
    const publicKey = priv.string();
    const secret = priv.string();
    if (publicKey.length !== 32 || secret.length !== 64) {
      throw new UnreadableIdentityError('the SSH key file is corrupt');
    }
    return { seed: new Uint8Array(secret.subarray(0, 32)), publicKey: new Uint8Array(publicKey) };
  } catch (error) {
    if (error instanceof UnreadableIdentityError) throw error;
    throw new UnreadableIdentityError('the SSH private key file is truncated or corrupt');
  }
}

/** The identities of a key file: an age key file (AGE-SECRET-KEY-1… lines) or an OpenSSH ed25519 key. */
function identitiesOf(keyFile: string): (string | Identity)[] {
  if (keyFile.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) {
    const { seed, publicKey } = parseOpenSshPrivateKey(keyFile);
    return [new SshEd25519Identity(seed, publicKey)];
  }
  const keys = keyFile
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('AGE-SECRET-KEY-1'));
  if (keys.length === 0) {
    throw new UnreadableIdentityError(
      'the identity file holds neither an age key (AGE-SECRET-KEY-1..., from age-keygen) nor an OpenSSH ed25519 private key',
    );
  }
  return keys;
}

/** Decrypts an armored age file with the identities of a key file. */
export async function decryptWith(keyFile: string, armored: string): Promise<string> {
  const d = new Decrypter();
  for (const identity of identitiesOf(keyFile)) d.addIdentity(identity);
  let file: Uint8Array;
  try {
    file = armor.decode(armored);
  } catch {
    throw new UnreadableIdentityError(
      'the ciphertext is not an armored age file (-----BEGIN AGE ENCRYPTED FILE-----)',
    );
  }
  try {
    return await d.decrypt(file, 'text');
  } catch (error) {
    if (error instanceof WrongIdentityError) throw error;
    if (/no identity matched/.test((error as Error).message)) {
      throw new WrongIdentityError(
        "this identity does not open the credentials: they were encrypted to another key (use the private key whose public key was in the request's contact.recipient)",
      );
    }
    throw new WrongIdentityError(`the credentials do not decrypt: ${(error as Error).message}`);
  }
}
