import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authenticate,
  type Credentials,
  parseSignatureHeader,
  sign,
  signatureHeader,
  verifySignatureHeader,
} from '../../../src/api/auth.ts';

const SECRET = 'whsec-unit';
const TOKEN = 'token-unit';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const T = Math.floor(NOW / 1000);
const BODY = '{"requestId":"HR-1"}';
const credentials: Credentials = { webhookSecret: SECRET, apiToken: TOKEN };
const options = { now: NOW, replayWindowSeconds: 300 };

const PATH = '/onboardings';
const req = (body = BODY, method = 'POST', path = PATH) => ({ method, path, body });
const check = (
  headers: Record<string, string | string[]>,
  body = BODY,
  creds = credentials,
  { method = 'POST', path = PATH } = {},
) => authenticate(headers, req(body, method, path), creds, options);
// The documented canonical string, spelled out here rather than taken from the code under test.
const mac = (t: number | string, body = BODY, secret = SECRET, method = 'POST', path = PATH) =>
  createHmac('sha256', secret).update(`${t}\n${method}\n${path}\n${body}`);

describe('the signature', () => {
  it('accepts HMAC-SHA256 of "<t>\\n<METHOD>\\n<path>\\n<body>" in hex, base64 or base64url', () => {
    for (const digest of [mac(T).digest('hex'), mac(T).digest('base64'), mac(T).digest('base64url')]) {
      expect(check({ 'x-onboarding-signature': `t=${T},v1=${digest}` })).toEqual({
        ok: true,
        method: 'signature',
      });
    }
    expect(signatureHeader(SECRET, req(), NOW)).toBe(`t=${T},v1=${sign(SECRET, T, req())}`);
  });

  it('accepts any of several v1 values (a sender rotating its secret) and ignores other schemes', () => {
    const header = `t=${T}, v0=whatever, v1=${mac(T, BODY, 'old').digest('hex')}, v1=${mac(T).digest('hex')}`;
    expect(check({ 'x-onboarding-signature': header }).ok).toBe(true);
  });

  it('takes the timestamp as sent: leading zeros are part of the signed message', () => {
    expect(check({ 'x-onboarding-signature': `t=0${T},v1=${mac(`0${T}`).digest('hex')}` }).ok).toBe(true);
    expect(check({ 'x-onboarding-signature': `t=0${T},v1=${mac(T).digest('hex')}` })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('accepts a timestamp at the edge of the replay window and refuses one past it, either way', () => {
    for (const t of [T - 300, T + 300])
      expect(check({ 'x-onboarding-signature': `t=${t},v1=${mac(t).digest('hex')}` }).ok).toBe(true);
    for (const t of [T - 301, T + 301]) {
      expect(check({ 'x-onboarding-signature': `t=${t},v1=${mac(t).digest('hex')}` })).toEqual({
        ok: false,
        reason: 'outside replay window',
      });
    }
  });

  it('refuses a tampered body, another secret, and a signature when no webhook secret exists', () => {
    const header = { 'x-onboarding-signature': signatureHeader(SECRET, req(), NOW) };
    expect(check(header, `${BODY} `)).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ 'x-onboarding-signature': signatureHeader('other', req(), NOW) })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(check(header, BODY, { apiToken: TOKEN })).toEqual({ ok: false, reason: 'not configured' });
  });

  it.each([
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no digest', `t=${T}`],
    ['a non-numeric timestamp', `t=1e9,v1=${'a'.repeat(64)}`],
    ['a negative timestamp', `t=-${T},v1=${'a'.repeat(64)}`],
    ['a hex timestamp', `t=0x${T.toString(16)},v1=${'a'.repeat(64)}`],
    ['a fractional timestamp', `t=${T}.0,v1=${'a'.repeat(64)}`],
    ['a timestamp in other digits', `t=${String(T).replace(/1/g, '١')},v1=${'a'.repeat(64)}`],
    ['a short digest', `t=${T},v1=${'a'.repeat(63)}`],
    ['a digest that is not hex or base64', `t=${T},v1=${'g'.repeat(64)}`],
    ['a part without "="', `t=${T},v1`],
    ['an oversized header', `t=${T},v1=${'a'.repeat(64)}${',x=y'.repeat(300)}`],
    ['an empty header', ''],
  ])('refuses a header with %s as malformed', (_what, header) => {
    expect(parseSignatureHeader(header)).toBeUndefined();
    expect(check({ 'x-onboarding-signature': header })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('never falls back to the bearer token when a signature header is present', () => {
    expect(check({ 'x-onboarding-signature': 'garbage', authorization: `Bearer ${TOKEN}` }).ok).toBe(false);
  });

  it('verifies a callback for receivers with the same rules', () => {
    const header = signatureHeader(SECRET, req(), NOW);
    expect(verifySignatureHeader(header, req(), SECRET, options)).toBe(true);
    expect(verifySignatureHeader(header, req(`${BODY}x`), SECRET, options)).toBe(false);
    expect(verifySignatureHeader(undefined, req(), SECRET, options)).toBe(false);
  });

  it('refuses a signature made for another method or path (no replay across routes)', () => {
    const getOne = {
      'x-onboarding-signature': `t=${T},v1=${mac(T, '', SECRET, 'GET', '/onboardings/HR-1').digest('hex')}`,
    };
    expect(check(getOne, '', credentials, { method: 'GET', path: '/onboardings/HR-1' }).ok).toBe(true);
    expect(check(getOne, '', credentials, { method: 'GET', path: '/onboardings/HR-2' })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(check(getOne, '', credentials, { method: 'POST', path: '/onboardings/HR-1' })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    // The old scheme ("<t>.<body>") no longer verifies.
    const old = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(check({ 'x-onboarding-signature': `t=${T},v1=${old}` })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses a signature header sent twice, as a list or joined with commas (API Gateway)', () => {
    const good = `t=${T},v1=${mac(T).digest('hex')}`;
    const other = `t=${T - 1},v1=${mac(T - 1).digest('hex')}`;
    expect(check({ 'x-onboarding-signature': [good, other] })).toEqual({
      ok: false,
      reason: 'duplicate header',
    });
    expect(check({ 'x-onboarding-signature': `${good}, ${other}` })).toEqual({
      ok: false,
      reason: 'duplicate header',
    });
    expect(check({ 'x-onboarding-signature': `t=${T},t=${T},v1=${mac(T).digest('hex')}` })).toEqual({
      ok: false,
      reason: 'duplicate header',
    });
  });

  it('never throws, and accepts no header but a correct one, whatever the header holds', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 100 }), (header, body) => {
        const result = check({ 'x-onboarding-signature': header }, body);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the bearer token', () => {
  it('accepts the token, whatever the case of "Bearer"', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect(check({ authorization: `${scheme} ${TOKEN}` })).toEqual({ ok: true, method: 'bearer' });
    }
  });

  it('refuses another token, a prefix of it, another scheme, and a token when none is configured', () => {
    expect(check({ authorization: `Bearer ${TOKEN}x` })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ authorization: `Bearer ${TOKEN.slice(0, -1)}` })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(check({ authorization: `Basic ${TOKEN}` })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ authorization: 'Bearer ' })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ authorization: `Bearer ${TOKEN}` }, BODY, { webhookSecret: SECRET })).toEqual({
      ok: false,
      reason: 'not configured',
    });
  });

  it('refuses an Authorization header sent twice', () => {
    expect(check({ authorization: [`Bearer ${TOKEN}`, 'Bearer other'] })).toEqual({
      ok: false,
      reason: 'duplicate header',
    });
    expect(check({ authorization: `Bearer ${TOKEN}, Bearer other` })).toEqual({
      ok: false,
      reason: 'duplicate header',
    });
  });

  it('refuses a call with no credentials at all', () => {
    expect(check({})).toEqual({ ok: false, reason: 'missing' });
  });
});
