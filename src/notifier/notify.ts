import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import ipaddr from 'ipaddr.js';
import { signatureHeader } from '../api/auth.ts';
import { type OutcomeSummary, summaryOf as summaryOfExecution } from '../execution/outcome.ts';
import type { EndedExecution } from '../ledger/items.ts';
import {
  type CallbackPolicy,
  callbackRefusal,
  checkedAddresses,
  type ResolvedAddress,
  type Resolver,
} from './callback-policy.ts';

/**
 * The completion callback. When an execution ends, Step Functions emits a status-change event
 * (EventBridge); this POSTs a signed summary to the request's `contact.callbackUrl`:
 * - only to a host on `api.callbackAllowedHosts`, over https (plain http only to loopback, and
 *   loopback only where the caller allows it: `onboard serve`, never the Lambda);
 * - with a timeout per attempt, retries with exponential backoff and jitter on 5xx, 408, 429 and
 *   network errors, all inside a deadline;
 * - following a redirect only to the same origin (307/308, which keep the POST), never elsewhere.
 */

/** The EventBridge event ("Step Functions Execution Status Change"), the fields used here. */
export interface ExecutionStatusChange {
  'detail-type'?: string;
  source?: string;
  /** The execution as the event carries it: the ledger's EndedExecution, and whether its input is in it. */
  detail: EndedExecution & { inputDetails?: { included?: boolean } | null };
}

export interface NotifyDeps extends CallbackPolicy {
  /** How host names are resolved (dns.lookup, all addresses); tests inject one. */
  resolve?: Resolver;
  callbackSecret: () => Promise<string>;
  maxAttempts: number;
  timeoutMs: number;
  /** No attempt starts after this much time from the first (keep it under the Lambda timeout). */
  deadlineMs?: number;
  /**
   * How a connection is opened to an address that was checked (TCP, TLS for https); tests inject a
   * network of loopback servers. Default: node:net / node:tls. See pinnedFetch.
   */
  connect?: Connect;
  /** A fake sender for tests of the protocol (retries, redirects, signing): it bypasses the connection. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export type NotifyOutcome =
  | { outcome: 'sent'; url: string; attempts: number; status: number }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'failed'; reason: string; attempts: number; retryable: boolean };

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
const MAX_REDIRECTS = 3;

export { type CallbackPolicy, callbackRefusal } from './callback-policy.ts';

/** Where one connection goes: a checked address, and the URL's host name (for TLS and the Host header). */
export interface ConnectTarget {
  address: string;
  family: 4 | 6;
  port: number;
  hostname: string;
  /** https: TLS, verifying the certificate against `hostname`. */
  secure: boolean;
}

export type Connect = (target: ConnectTarget) => Duplex;

/** TCP to the address itself, and for https TLS over it verifying the certificate for the host name. */
export const systemConnect: Connect = (t) =>
  t.secure
    ? tlsConnect({
        host: t.address,
        port: t.port,
        // SNI and certificate check name the host, never the address (an IP literal is checked as itself).
        ...(ipaddr.isValid(t.hostname) ? {} : { servername: t.hostname }),
        ALPNProtocols: ['http/1.1'],
      })
    : netConnect({ host: t.address, port: t.port, family: t.family });

const bareHost = (hostname: string) => hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * fetch's shape over node:http(s) whose every connection goes to one of `addresses`, the ones checked,
 * by address: nothing is resolved after the check, so a DNS answer that changes in between (rebinding)
 * cannot move the connection. Each request takes the next checked address in turn (a retry tries the
 * host's other addresses). The body is not read.
 */
export function pinnedFetch(
  addresses: readonly ResolvedAddress[],
  connect: Connect = systemConnect,
): typeof fetch {
  let used = 0;
  return ((input: string | URL, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      const secure = url.protocol === 'https:';
      const checked = addresses[used++ % Math.max(1, addresses.length)];
      if (!checked) {
        reject(new Error(`no checked address for ${url.hostname}`));
        return;
      }
      const target: ConnectTarget = {
        ...checked,
        port: url.port ? Number(url.port) : secure ? 443 : 80,
        hostname: bareHost(url.hostname),
        secure,
      };
      const request = secure ? httpsRequest : httpRequest;
      const req = request(
        url,
        {
          method: init.method ?? 'GET',
          headers: init.headers as Record<string, string>,
          // No agent and no lookup: this connection, to this address, for this one request. Without an
          // agent, the default port must be said, or the Host header of an https URL names port 80.
          createConnection: () => connect(target),
          defaultPort: secure ? 443 : 80,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          }
          res.resume();
          resolve(new Response(null, { status: res.statusCode ?? 502, headers }));
        },
      );
      req.on('error', (error) => reject(init.signal?.aborted ? init.signal.reason : error));
      req.end(typeof init.body === 'string' ? init.body : undefined);
    })) as typeof fetch;
}

function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const defined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/**
 * What the ticket is told: the execution's outcome as `GET /onboardings/{id}` answers it, without the
 * timeline (the event carries no history): references only (the output never holds a secret), and the
 * failure report.
 */
export function summaryOf(change: ExecutionStatusChange): OutcomeSummary {
  const d = change.detail;
  return summaryOfExecution({
    executionArn: d.executionArn,
    name: d.name,
    // The request's id is the input's: a re-run's execution is named `<requestId>-k`.
    input: defined(d.input),
    status: d.status as ExecutionStatus,
    // EventBridge always sends the start; the stop stands in for it rather than invent a date.
    startDate: new Date(d.startDate ?? d.stopDate ?? 0),
    stopDate: typeof d.stopDate === 'number' ? new Date(d.stopDate) : undefined,
    output: defined(d.output),
    error: defined(d.error),
    cause: defined(d.cause),
  });
}

/** The callback URL of the request, when the event carries its input. */
/** An execution of the offboarding state machine (`<name>-offboarding`, src/offboarding/deps.ts). */
export const isOffboarding = (change: ExecutionStatusChange) =>
  /:execution:[^:]+-offboarding:[^:]+$/.test(change.detail.executionArn);

/** What the ticket learns of an offboarding: how it ended, and on a failure what the cause says. */
export interface OffboardingSummary {
  kind: 'offboarding';
  requestId: string;
  userName?: string;
  executionArn: string;
  /** removed, restored (a restore during the grace period), or failed / timed out / aborted. */
  outcome: 'removed' | 'restored' | 'failed' | 'timed out' | 'aborted';
  error?: string;
  /** The failure's message: what is left, for a removal that stopped (never a secret). */
  message?: string;
  stoppedAt?: string;
}

export function offboardingSummaryOf(change: ExecutionStatusChange): OffboardingSummary {
  const d = change.detail;
  const input = parseJson(d.input) as { requestId?: unknown; userName?: unknown } | undefined;
  const output = parseJson(d.output) as { restoration?: unknown } | undefined;
  const cause = parseJson(d.cause) as { errorMessage?: unknown } | undefined;
  const outcome =
    d.status === 'SUCCEEDED'
      ? output?.restoration !== undefined
        ? 'restored'
        : 'removed'
      : d.status === 'TIMED_OUT'
        ? 'timed out'
        : d.status === 'ABORTED'
          ? 'aborted'
          : 'failed';
  return {
    kind: 'offboarding',
    requestId: typeof input?.requestId === 'string' ? input.requestId : d.name,
    ...(typeof input?.userName === 'string' ? { userName: input.userName } : {}),
    executionArn: d.executionArn,
    outcome,
    ...(d.error ? { error: d.error } : {}),
    ...(typeof cause?.errorMessage === 'string'
      ? { message: cause.errorMessage }
      : d.cause && outcome === 'failed'
        ? { message: d.cause }
        : {}),
    ...(typeof d.stopDate === 'number' ? { stoppedAt: new Date(d.stopDate).toISOString() } : {}),
  };
}

export function callbackUrlOf(change: ExecutionStatusChange): string | undefined {
  const input = parseJson(change.detail.input) as { contact?: { callbackUrl?: unknown } } | undefined;
  const url = input?.contact?.callbackUrl;
  return typeof url === 'string' ? url : undefined;
}

/** The same for every delivery of one event, so that a receiver can drop a duplicate. */
export function deliveryIdOf(change: ExecutionStatusChange): string {
  return createHash('sha256')
    .update(`${change.detail.executionArn}|${change.detail.status}`)
    .digest('hex')
    .slice(0, 32);
}

const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** One POST, following at most a few same-origin 307/308 redirects. */
async function post(
  url: string,
  init: (target: URL) => RequestInit,
  deps: NotifyDeps,
  send: typeof fetch,
): Promise<{ response: Response } | { refused: string }> {
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    const response = await send(target.href, {
      ...init(target),
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    if (response.status < 300 || response.status >= 400) return { response };
    await response.body?.cancel().catch(() => undefined);
    const location = response.headers.get('location');
    let next: URL | undefined;
    try {
      next = location ? new URL(location, target) : undefined;
    } catch {
      next = undefined;
    }
    if (!next || next.origin !== target.origin) {
      return { refused: `HTTP ${response.status}: a redirect to another host is not followed` };
    }
    if (response.status !== 307 && response.status !== 308) {
      return { refused: `HTTP ${response.status}: only 307/308 redirects keep the POST` };
    }
    if (hop + 1 >= MAX_REDIRECTS) return { refused: 'too many redirects' };
    target = next;
  }
}

export async function notifyCompletion(
  change: ExecutionStatusChange,
  deps: NotifyDeps,
): Promise<NotifyOutcome> {
  if (!TERMINAL.has(change.detail.status)) return { outcome: 'skipped', reason: 'not finished' };
  if (change.detail.inputDetails?.included === false) {
    return { outcome: 'skipped', reason: 'the event does not carry the input (too large)' };
  }
  const callbackUrl = callbackUrlOf(change);
  if (callbackUrl === undefined) return { outcome: 'skipped', reason: 'no callback URL' };
  const refusal = callbackRefusal(callbackUrl, deps);
  if (refusal) return { outcome: 'refused', reason: refusal };
  const checked = await checkedAddresses(new URL(callbackUrl).hostname, deps, deps.resolve);
  if ('refused' in checked) return { outcome: 'refused', reason: checked.refused };

  // Every attempt and every same-origin redirect (same host) connects to the addresses checked above.
  const send = deps.fetch ?? pinnedFetch(checked.addresses, deps.connect);
  const offboarding = isOffboarding(change);
  const body = JSON.stringify(offboarding ? offboardingSummaryOf(change) : summaryOf(change));
  const secret = await deps.callbackSecret();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const deadline = now() + (deps.deadlineMs ?? 45_000);
  let last = 'not sent';
  let attempts = 0;
  while (attempts < deps.maxAttempts) {
    attempts++;
    let wait: number | undefined;
    try {
      const sent = await post(
        callbackUrl,
        (target) => ({
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'iam-onboarding-notifier',
            'x-onboarding-event': offboarding ? 'offboarding.finished' : 'onboarding.finished',
            'x-onboarding-delivery': deliveryIdOf(change),
            // Signed per attempt (a retry minutes later still falls inside the receiver's window) and
            // per hop: the path is signed, and a same-origin redirect changes it.
            'x-onboarding-signature': signatureHeader(
              secret,
              { method: 'POST', path: `${target.pathname}${target.search}`, body },
              now(),
            ),
          },
          body,
        }),
        deps,
        send,
      );
      if ('refused' in sent) return { outcome: 'failed', reason: sent.refused, attempts, retryable: false };
      const { response } = sent;
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { outcome: 'sent', url: callbackUrl, attempts, status: response.status };
      last = `HTTP ${response.status}`;
      // Any other refusal (4xx) will not change with a retry.
      if (!retryableStatus(response.status)) {
        return { outcome: 'failed', reason: `callback refused: ${last}`, attempts, retryable: false };
      }
      wait = retryAfterMs(response);
    } catch (error) {
      last = (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).name;
    }
    if (attempts >= deps.maxAttempts) break;
    // Exponential backoff with jitter (half fixed, half random), or what the receiver asked for.
    const backoff = Math.min(8_000, 500 * 2 ** (attempts - 1));
    const delay = Math.min(30_000, wait ?? backoff / 2 + (random() * backoff) / 2);
    if (now() + delay + deps.timeoutMs > deadline) break;
    await sleep(delay);
  }
  return { outcome: 'failed', reason: `callback failed: ${last}`, attempts, retryable: true };
}
