import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { isEd25519Point } from '../../../src/handover/recipient.ts';

/**
 * The request schema checks an ssh-ed25519 key is a point of the curve with a few lines of BigInt
 * (no curve library in every task's bundle). The oracle is @noble/curves' own decoding (RFC 8032 mode),
 * the library the sealing steps map the key with.
 */
const noble = (bytes: Uint8Array) => {
  try {
    ed25519.Point.fromBytes(bytes);
    return true;
  } catch {
    return false;
  }
};

const P = 2n ** 255n - 19n;
const le = (n: bigint, sign = false) => {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (sign) out[31] = (out[31] ?? 0) | 0x80;
  return out;
};

describe('the Ed25519 point check', () => {
  it('agrees with @noble/curves on random bytes, points and non-points alike', () => {
    // Prepare
    const samples = Array.from({ length: 3000 }, () => new Uint8Array(randomBytes(32)));
    // Act
    const disagreements = samples.filter((s) => isEd25519Point(s) !== noble(s));
    // Assess
    expect(disagreements.map((s) => Buffer.from(s).toString('hex'))).toEqual([]);
    const valid = samples.filter((s) => noble(s)).length;
    expect(valid).toBeGreaterThan(1000);
    expect(valid).toBeLessThan(2000);
  });

  it('agrees on real public keys and on the edges of the encoding', () => {
    const keys = Array.from({ length: 50 }, () => ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    const edges = [0n, 1n, 2n, P - 2n, P - 1n, P, P + 1n, 2n ** 255n - 1n].flatMap((y) => [
      le(y),
      le(y, true),
    ]);
    for (const key of keys) expect(isEd25519Point(key)).toBe(true);
    for (const edge of edges)
      expect(isEd25519Point(edge), Buffer.from(edge).toString('hex')).toBe(noble(edge));
    // y = 1 is the neutral point (x = 0): valid, but not with x's sign bit set.
    expect(isEd25519Point(le(1n))).toBe(true);
    expect(isEd25519Point(le(1n, true))).toBe(false);
    expect(isEd25519Point(le(P))).toBe(false);
  });

  it('refuses anything but 32 bytes', () => {
    expect(isEd25519Point(new Uint8Array(31))).toBe(false);
    expect(isEd25519Point(new Uint8Array(33))).toBe(false);
  });
});
