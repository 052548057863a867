import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { InvalidRequestError } from '../errors.ts';

/**
 * Where the completion callback may go, per stage. The deployed stages call only
 * `https://<host>/...` on port 443, for a host on `api.callbackAllowedHosts.<stage>`, and only when
 * every address the host resolves to is public (not loopback, link-local, private, metadata, CGNAT,
 * multicast or reserved); the notifier then connects to exactly those checked addresses, so a DNS
 * answer that changes between the check and the connection (rebinding) cannot move it. Plain http to
 * loopback is for the local stack alone (stage `local`).
 */

export const LOCAL_STAGE = 'local';

export interface CallbackPolicy {
  /** The deployment stage (`sls:stage`), or `local` for `onboard serve`. */
  stage: string;
  /** The hosts of `api.callbackAllowedHosts.<stage>` (plus, locally, those of --callback-host). */
  allowedHosts: readonly string[];
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (dns.lookup with all: true); injected by tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '').toLowerCase();

const isLoopbackName = (h: string) => h === 'localhost' || h.endsWith('.localhost');

/** ipaddr.js's range of an address, IPv4-mapped IPv6 (::ffff:a.b.c.d) read as the IPv4 it carries. */
function rangeOf(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range();
}

/** Public unicast only: everything else (private, loopback, link-local and so the metadata service, fd00:ec2::254, NAT64, 6to4, ...) is not. */
export const isPublicAddress = (address: string) => rangeOf(address) === 'unicast';
const isLoopbackAddress = (address: string) => rangeOf(address) === 'loopback';

const configKey = (policy: CallbackPolicy) => `api.callbackAllowedHosts.${policy.stage}`;

/**
 * Why a callback URL may not be called in this stage, or undefined when it may (before DNS). The
 * reason names the host and the fix. The HTTP API refuses such a request at once (400); the notifier
 * checks again, since the configuration may have changed while the onboarding ran.
 */
export function callbackRefusal(url: string, policy: CallbackPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the callback URL is not a URL';
  }
  const host = bare(parsed.hostname);
  if (parsed.username || parsed.password) return 'the callback URL must not carry credentials';
  const local = policy.stage === LOCAL_STAGE;
  const literal = ipaddr.isValid(host);
  const loopback = isLoopbackName(host) || (literal && isLoopbackAddress(host));
  if (!local && loopback) {
    return `callback host ${host} is a loopback address, allowed only on the local stack (stage ${LOCAL_STAGE})`;
  }
  if (literal && !isPublicAddress(host) && !loopback) {
    return `callback host ${host} is not a public address; use a public https host`;
  }
  if (parsed.protocol === 'http:' && !(local && loopback)) {
    return `the callback URL must use https (plain http only to loopback on the local stack): ${host}`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'the callback URL must use https';
  if (!local && parsed.port !== '') {
    return `callback port ${parsed.port} is not allowed: deployed stages call https on port 443 only`;
  }
  if (!policy.allowedHosts.some((h) => h.toLowerCase() === host)) {
    return `callback host ${host} is not allowed for stage ${policy.stage}: add it to ${configKey(policy)} in config/onboarding.json`;
  }
  return undefined;
}

/** The hosts a stage calls back, for a message: "a, b", or "none" when the stage has no entry. */
export const describeAllowedHosts = (policy: CallbackPolicy) =>
  policy.allowedHosts.length > 0 ? policy.allowedHosts.join(', ') : 'none';

/**
 * The request-time check where a request enters without the HTTP API (`onboard start`, the ValidateRequest
 * task): a callback URL this stage would not call is an invalid request, naming the host, why, and the
 * hosts the stage allows - never accepted and then skipped when the onboarding ends.
 */
export function checkCallbackUrl(
  request: { contact?: { callbackUrl?: string | undefined } | undefined },
  policy: CallbackPolicy,
  what = 'onboarding request',
): void {
  const url = request.contact?.callbackUrl;
  if (url === undefined) return;
  const refusal = callbackRefusal(url, policy);
  if (refusal === undefined) return;
  const message = `${refusal} (callback hosts allowed for stage ${policy.stage}: ${describeAllowedHosts(policy)})`;
  throw new InvalidRequestError(`invalid ${what}: contact.callbackUrl: ${message}`, [
    { path: 'contact.callbackUrl', message },
  ]);
}

/**
 * The addresses to connect to, every one checked, or why the host is refused: any non-public address
 * among them refuses the whole host (an attacker's name that answers one public and one private address
 * must not get a coin toss). Locally, loopback is allowed too.
 */
export async function checkedAddresses(
  hostname: string,
  policy: CallbackPolicy,
  resolve: Resolver = systemResolver,
): Promise<{ addresses: ResolvedAddress[] } | { refused: string }> {
  const host = bare(hostname);
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    return { refused: `callback host ${host} does not resolve (${(error as Error).message})` };
  }
  if (addresses.length === 0) return { refused: `callback host ${host} does not resolve` };
  const local = policy.stage === LOCAL_STAGE;
  const bad = addresses.find((a) => !isPublicAddress(a.address) && !(local && isLoopbackAddress(a.address)));
  if (bad) {
    return {
      refused: `callback host ${host} resolves to ${bad.address}, which is not a public address; it is never called`,
    };
  }
  return { addresses };
}
