import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Who may call the API. Two ways, both compared in constant time:
 * - `X-Onboarding-Signature: t=<unix seconds>,v1=<HMAC-SHA256 of "<t>\n<METHOD>\n<path>\n<raw body>">`, the
 *   digest in hex (openssl, most tools) or base64 (ServiceNow's generateMac), with t (decimal) inside the
 *   replay window. Method and path are signed so that one signature cannot be replayed on another route
 *   (a GET signature would otherwise read every request id for the whole window);
 * - `Authorization: Bearer <token>`, for tools that can only set a static header (Jira automation).
 * The completion callback is signed with the same scheme, so one verifier serves both directions.
 */

export const SIGNATURE_HEADER = 'x-onboarding-signature';

export interface Credentials {
  webhookSecret?: string;
  apiToken?: string;
}

/** Why a call was refused: for the logs only, never for the caller. */
export type AuthFailure =
  | 'missing'
  | 'malformed'
  | 'duplicate header'
  | 'outside replay window'
  | 'mismatch'
  | 'not configured';

export type AuthResult = { ok: true; method: 'signature' | 'bearer' } | { ok: false; reason: AuthFailure };

export interface AuthOptions {
  /** The server's clock, in ms. */
  now?: number;
  replayWindowSeconds: number;
}

const MAX_SIGNATURE_HEADER = 1024;

/** What a signature covers: the method, the path as sent (with its `?query`, if any) and the raw body. */
export interface SignedRequest {
  method: string;
  path: string;
  body: string;
}

/** The string signed: `<timestamp>\n<METHOD>\n<path>\n<body>` (an empty body for GET). */
export function canonicalString(timestamp: number | string, request: SignedRequest): string {
  return `${timestamp}\n${request.method.toUpperCase()}\n${request.path}\n${request.body}`;
}

/** The hex HMAC-SHA256 of the canonical string. */
export function sign(secret: string, timestamp: number | string, request: SignedRequest): string {
  return createHmac('sha256', secret).update(canonicalString(timestamp, request)).digest('hex');
}

export function signatureHeader(secret: string, request: SignedRequest, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${sign(secret, t, request)}`;
}

/** A 32-byte digest written in hex, base64 or base64url; anything else is not a digest. */
function digestOf(text: string): Buffer | undefined {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text) || /^[A-Za-z0-9_-]{43}$/.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    return bytes.length === 32 ? bytes : undefined;
  }
  return undefined;
}

export interface ParsedSignature {
  timestamp: string;
  digests: Buffer[];
}

/** `t=<seconds>,v1=<digest>[,v1=<digest>...]`: several v1 values let a sender rotate its secret. */
export function parseSignatureHeader(value: string): ParsedSignature | undefined {
  if (value.length > MAX_SIGNATURE_HEADER) return undefined;
  let timestamp: string | undefined;
  const digests: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const text = part.slice(eq + 1).trim();
    if (key === 't') {
      // Decimal digits only: "0x6790..." or "1e9" would be read by Number() as the same instant.
      if (timestamp !== undefined || !/^[0-9]{1,12}$/.test(text)) return undefined;
      timestamp = text;
    } else if (key === 'v1') {
      const digest = digestOf(text);
      if (!digest) return undefined;
      digests.push(digest);
    }
    // Other schemes (v0, a future v2) are ignored, as a verifier should.
  }
  return timestamp !== undefined && digests.length > 0 ? { timestamp, digests } : undefined;
}

/**
 * Constant time for equal-length inputs; hashing first makes the lengths equal, so the time does not
 * say how long the expected token is either.
 */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function verifySignature(
  header: string,
  request: SignedRequest,
  secret: string | undefined,
  options: AuthOptions,
): AuthResult {
  // Two headers joined with commas (API Gateway's form) carry two timestamps.
  if (header.split(',').filter((part) => part.split('=')[0]?.trim() === 't').length > 1) {
    return { ok: false, reason: 'duplicate header' };
  }
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (!secret) return { ok: false, reason: 'not configured' };
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  // Both ways: a timestamp from the future is as suspicious as an old one.
  if (Math.abs(now - Number(parsed.timestamp)) > options.replayWindowSeconds) {
    return { ok: false, reason: 'outside replay window' };
  }
  // The message is built from t as sent: "0123" and "123" are different messages.
  const expected = createHmac('sha256', secret).update(canonicalString(parsed.timestamp, request)).digest();
  let match = false;
  for (const digest of parsed.digests) match = timingSafeEqual(digest, expected) || match;
  return match ? { ok: true, method: 'signature' } : { ok: false, reason: 'mismatch' };
}

/**
 * Checks a call. A signature header, when present, decides alone: a bad signature never falls back
 * to the bearer token. `headers` are lower-cased; a header sent twice arrives as a list (`onboard
 * serve`) or joined with commas (API Gateway), and is refused either way: which copy would count is
 * exactly what an attacker who can add a header wants to choose.
 */
export function authenticate(
  headers: Record<string, string | readonly string[] | undefined>,
  request: SignedRequest,
  credentials: Credentials,
  options: AuthOptions,
): AuthResult {
  const signature = headers[SIGNATURE_HEADER];
  if (typeof signature === 'object') return { ok: false, reason: 'duplicate header' };
  if (signature !== undefined) return verifySignature(signature, request, credentials.webhookSecret, options);
  const authorization = headers.authorization;
  if (typeof authorization === 'object') return { ok: false, reason: 'duplicate header' };
  if (authorization === undefined) return { ok: false, reason: 'missing' };
  if (/,\s*bearer\b/i.test(authorization)) return { ok: false, reason: 'duplicate header' };
  const bearer = /^Bearer[ \t]+([!-~]+)[ \t]*$/i.exec(authorization);
  if (!bearer?.[1]) return { ok: false, reason: 'malformed' };
  if (!credentials.apiToken) return { ok: false, reason: 'not configured' };
  return sameToken(bearer[1], credentials.apiToken)
    ? { ok: true, method: 'bearer' }
    : { ok: false, reason: 'mismatch' };
}

/** For receivers of the completion callback (and tests): the same check, signature only. */
export function verifySignatureHeader(
  header: string | undefined,
  request: SignedRequest,
  secret: string,
  options: AuthOptions,
): boolean {
  return header !== undefined && verifySignature(header, request, secret, options).ok;
}
