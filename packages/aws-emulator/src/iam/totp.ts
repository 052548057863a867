import { createHmac, randomBytes } from 'node:crypto';

/** RFC 6238 time-based one-time passwords (HMAC-SHA1, 6 digits, 30 s), as virtual MFA apps compute them. */

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const i = BASE32.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new device's seed: 40 bytes, base32 (64 characters), as IAM's Base32StringSeed. */
export const newSeed = () => base32Encode(randomBytes(40));

/** The code of time step `step` (seconds since the epoch / 30). */
export function totp(seed: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(seed)).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 15;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}

export const timeStep = (ms = Date.now()) => Math.floor(ms / 30_000);

/**
 * EnableMFADevice takes two consecutive codes: they must be those of two consecutive time steps, the
 * second not in the future (a little drift either way is tolerated, as IAM does).
 */
export function consecutiveCodesMatch(seed: string, code1: string, code2: string, ms = Date.now()): boolean {
  const now = timeStep(ms);
  for (let step = now - 10; step <= now + 1; step++) {
    if (totp(seed, step) === code1 && totp(seed, step + 1) === code2) return true;
  }
  return false;
}
