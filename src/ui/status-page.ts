import type { HttpResponse } from '../api/http.ts';
import { type ApprovalRecord, withApproval } from '../approvals/approvals.ts';
import type { AslDefinition } from '../definition.ts';
import type { ExecutionOutcome } from '../execution/outcome.ts';
import type { RequestItem } from '../ledger/items.ts';
import { outcomeFromLedger } from '../ledger/status.ts';
import { executionPage, listPage, messagePage, STYLESHEET } from './pages.ts';
import { graphModel } from './state-graph.ts';

/**
 * `onboard serve`'s status page, at /ui on the HTTP API's port: the recent requests (the ledger), and
 * one execution's state graph, timeline, rollback and what it created. Read-only, no script.
 *
 * Loopback-only rather than the API's token: `onboard serve` listens on 127.0.0.1 alone, and its AWS
 * endpoint on the same interface answers the emulator's well-known operator key (it reads every
 * execution's history, and the API's own token in Secrets Manager), so a token on this page would
 * guard nothing that loopback does not already expose. What the page adds is a browser's way in, so
 * it refuses what a browser can be tricked into: a Host header that is not loopback (DNS rebinding: a
 * web page whose name resolves to 127.0.0.1 would otherwise read it), a caller that is not on
 * loopback, any method but GET/HEAD, framing, and scripts (CSP default-src 'none').
 */

export interface StatusPageDeps {
  asl: AslDefinition;
  /** The ledger's most recent requests, newest first. */
  recent(): Promise<RequestItem[]>;
  /** The execution's outcome (Step Functions, else the ledger's record). */
  status(requestId: string): Promise<ExecutionOutcome | undefined>;
  /** The ledger's record of the request (who asked, for what). */
  item(requestId: string): Promise<RequestItem | undefined>;
  /** A privileged request's approval (who may approve, until when; then the decision), never its token. */
  approval?(requestId: string): Promise<ApprovalRecord | undefined>;
  /** The port this page is served on: the Host header must name loopback with it. */
  port: number;
  log?: (entry: { route: string; status: number; refused?: string; errorName?: string }) => void;
}

export interface StatusPageRequest {
  method: string;
  /** Without the query. */
  path: string;
  headers: Record<string, string | readonly string[] | undefined>;
  /** The TCP peer, as the socket saw it. */
  remoteAddress?: string | undefined;
}

export const STATUS_PAGE_PATH = '/ui';

export const isStatusPagePath = (path: string) => path === STATUS_PAGE_PATH || path.startsWith('/ui/');

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const htmlResponse = (status: number, body: string, extra: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...extra },
  body,
});

const REQUEST_PAGE = /^\/ui\/onboardings\/([^/]+)$/;
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

export const isLoopback = (address: string | undefined) =>
  address !== undefined && (/^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address) || address === '::1');

/** `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>`: the names a browser on this machine uses. */
function loopbackHost(host: string | readonly string[] | undefined, port: number): boolean {
  if (typeof host !== 'string') return false;
  const value = host.toLowerCase();
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(value);
}

export async function handleStatusPage(req: StatusPageRequest, deps: StatusPageDeps): Promise<HttpResponse> {
  const entry: { route: string; status: number; refused?: string; errorName?: string } = {
    route: `GET ${req.path.startsWith('/ui/onboardings/') ? '/ui/onboardings/{requestId}' : req.path}`,
    status: 0,
  };
  let response: HttpResponse;
  try {
    response = await route(req, deps, entry);
  } catch (error) {
    entry.errorName = (error as Error | undefined)?.name ?? 'Error';
    response = htmlResponse(
      500,
      messagePage(
        'The status page failed',
        `${entry.errorName}: the terminal running onboard serve says why.`,
      ),
    );
  }
  entry.status = response.status;
  deps.log?.(entry);
  return req.method.toUpperCase() === 'HEAD' ? { ...response, body: '' } : response;
}

async function route(
  req: StatusPageRequest,
  deps: StatusPageDeps,
  entry: { route: string; refused?: string },
): Promise<HttpResponse> {
  if (!isLoopback(req.remoteAddress)) {
    entry.refused = 'not loopback';
    return htmlResponse(403, messagePage('Forbidden', 'The status page answers on loopback only.'));
  }
  if (!loopbackHost(req.headers.host, deps.port)) {
    entry.refused = 'host';
    return htmlResponse(
      421,
      messagePage(
        'Wrong host name',
        `The status page answers to http://127.0.0.1:${deps.port}/ui (or localhost) only; open that address.`,
      ),
    );
  }
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    return htmlResponse(405, messagePage('Method not allowed', 'The status page is read-only: use GET.'), {
      allow: 'GET, HEAD',
    });
  }
  const path = req.path.length > 3 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
  if (path === STATUS_PAGE_PATH) {
    const items = await deps.recent();
    return htmlResponse(
      200,
      listPage(items.map((item) => ({ item, status: outcomeFromLedger(item).status }))),
    );
  }
  if (path === '/ui/style.css') {
    return {
      status: 200,
      headers: { 'content-type': 'text/css; charset=utf-8', ...SECURITY_HEADERS },
      body: STYLESHEET,
    };
  }
  const match = REQUEST_PAGE.exec(path);
  if (match?.[1] !== undefined) {
    let requestId: string;
    try {
      requestId = decodeURIComponent(match[1]);
    } catch {
      requestId = match[1];
    }
    const unknown = () =>
      htmlResponse(404, messagePage('No such onboarding', `No onboarding has the request id ${requestId}.`));
    if (!REQUEST_ID.test(requestId)) return unknown();
    const [outcome, item, approval] = await Promise.all([
      deps.status(requestId),
      deps.item(requestId),
      deps.approval?.(requestId),
    ]);
    if (!outcome) return unknown();
    const decision = withApproval(outcome, approval).approval;
    return htmlResponse(
      200,
      executionPage({
        outcome,
        model: graphModel(deps.asl, outcome.timeline),
        asl: deps.asl,
        ...(item ? { item } : {}),
        ...(decision ? { approval: decision } : {}),
      }),
    );
  }
  return htmlResponse(404, messagePage('Not found', 'The status page is at /ui.'));
}
