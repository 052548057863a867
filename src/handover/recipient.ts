/**
 * Which recipient a hand-over is sealed to (an age X25519 recipient or an OpenSSH ed25519 key), checked
 * without the age implementation nor a curve library: a request is validated by every task, sealed by
 * two. src/handover/age.ts encrypts and decrypts.
 */

export class InvalidRecipientError extends Error {
  override readonly name = 'InvalidRecipient' as const;
}

/** An X25519 recipient is Bech32 "age1" and 58 data characters (32 bytes and a checksum). */
const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

export const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** Ed25519's field prime 2^255 - 19 and curve constant d = -121665/121666 (RFC 8032, 5.1). */
const P = 2n ** 255n - 19n;
const powMod = (base: bigint, exponent: bigint): bigint => {
  let result = 1n;
  let b = base % P;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
};
const D = (((-121665n * powMod(121666n, P - 2n)) % P) + P) % P;

/**
 * Whether 32 bytes decode to a point of Ed25519 (RFC 8032, 5.1.3): y below p, x^2 = (y^2 - 1)/(d y^2 + 1)
 * a square (Euler's criterion), and no sign bit on x = 0. Only a yes or no, for validation: the
 * sealing steps map the key with @noble/curves, which test/unit/handover/recipient-point.test.ts
 * holds this to.
 */
export function isEd25519Point(key: Uint8Array): boolean {
  if (key.length !== 32) return false;
  const last = key[31] ?? 0;
  let y = BigInt(last & 0x7f);
  for (let i = 30; i >= 0; i--) y = (y << 8n) | BigInt(key[i] ?? 0);
  if (y >= P) return false;
  const y2 = (y * y) % P;
  const u = (y2 - 1n + P) % P;
  const v = (D * y2 + 1n) % P;
  const x2 = (u * powMod(v, P - 2n)) % P;
  if (x2 === 0n) return (last & 0x80) === 0;
  return powMod(x2, (P - 1n) / 2n) === 1n;
}

/** Reads SSH wire-format strings and integers from a buffer. */
export class SshReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  uint32(): number {
    if (this.at + 4 > this.bytes.length) throw new Error('truncated');
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 4).getUint32(0);
    this.at += 4;
    return v;
  }
  string(): Uint8Array {
    const n = this.uint32();
    if (this.at + n > this.bytes.length) throw new Error('truncated');
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  get done(): boolean {
    return this.at === this.bytes.length;
  }
}

export const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** The SSH wire form of an ed25519 public key (`string "ssh-ed25519", string key`) and its 32 bytes. */
export function parseSshEd25519(line: string): { wire: Uint8Array; key: Uint8Array } {
  const [type, body] = line.trim().split(/\s+/);
  if (type !== 'ssh-ed25519' || !body || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new InvalidRecipientError('not an "ssh-ed25519 AAAA..." public key line');
  }
  const wire = fromB64(body);
  try {
    const r = new SshReader(wire);
    const innerType = text(r.string());
    const key = r.string();
    if (innerType !== 'ssh-ed25519' || key.length !== 32 || !r.done) throw new Error('shape');
    // A key that is not a point of the curve cannot be mapped to X25519.
    if (!isEd25519Point(key)) throw new Error('not a point');
    return { wire, key: new Uint8Array(key) };
  } catch {
    throw new InvalidRecipientError('the ssh-ed25519 key does not decode to a 32-byte Ed25519 public key');
  }
}

/** What kind of key a recipient string is, or why it is none. */
export function recipientKind(recipient: string): 'age' | 'ssh-ed25519' {
  const value = recipient.trim();
  if (AGE_RECIPIENT.test(value)) return 'age';
  if (value.startsWith('ssh-ed25519 ')) {
    parseSshEd25519(value);
    return 'ssh-ed25519';
  }
  if (value.startsWith('ssh-')) {
    throw new InvalidRecipientError(
      `SSH key type "${value.split(/\s/)[0]}" is not supported: use an ssh-ed25519 key (ssh-keygen -t ed25519) or an age recipient (age-keygen)`,
    );
  }
  throw new InvalidRecipientError(
    'must be an age recipient ("age1" and 58 characters, from age-keygen) or an SSH public key line ("ssh-ed25519 AAAA...")',
  );
}
