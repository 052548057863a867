import * as z from 'zod/mini';
import {
  type ApprovalDeps,
  decideApproval,
  parseDecision,
  type TaskCallbacks,
  TaskClosedError,
  withApproval,
} from '../approvals/approvals.ts';
import { RerunNameTooLongError, TooManyAttemptsError } from '../attempts.ts';
import { InvalidBatchError, MAX_BATCH_ROWS, rowsOfJson, validateBatch } from '../batch.ts';
import type { OnboardingConfig } from '../config.ts';
import {
  ApprovalConflictError,
  ApprovalForbiddenError,
  ApprovalNotFoundError,
  InvalidRequestError,
  OffboardingRefusedError,
  OnboardingError,
  RequestNotAllowedError,
} from '../errors.ts';
import { accessOf, type RequestLedger } from '../ledger/items.ts';
import {
  InvalidListQueryError,
  type LedgerLister,
  type ListQuery,
  listedOf,
  parseLimit,
  parseStatusFilter,
} from '../ledger/list.ts';
import { type CallbackPolicy, callbackRefusal } from '../notifier/callback-policy.ts';
import type { OffboardingStore } from '../offboarding/ledger.ts';
import { type OffboardingRequest, parseOffboardingRequest } from '../offboarding/request.ts';
import { requestRestore } from '../offboarding/restore-request.ts';
import { approvalOf, type OnboardingRequest, validateRequest } from '../request.ts';
import {
  type Adapted,
  type AdaptedApproval,
  adapt,
  adaptApproval,
  type Source,
  sourceOf,
  UnknownSourceError,
} from './adapters.ts';
import { type AuthFailure, authenticate, type Credentials } from './auth.ts';
import {
  type OnboardingStarter,
  type OnboardingStatusReader,
  RequestIdConflictError,
} from './onboardings.ts';
import { parseStrictJson, StrictJsonError } from './strict-json.ts';

/**
 * The HTTP API for ticketing automation, as a pure function of the request: the API Gateway Lambda
 * and `onboard serve` both adapt to it.
 *   POST /onboardings[/jira|/servicenow]  -> 202 { requestId, executionArn, statusUrl[, attempt, previousAttempts] }
 *                                            (the same request again: its execution; again after a clean
 *                                            rollback: a new attempt `<requestId>-2`, ...; another: 409)
 *   GET  /onboardings/{requestId}         -> 200 the execution's outcome (src/execution/outcome.ts), the
 *                                            shape `onboard run --json` and `onboard status --json` print
 *                                            (with `approval` for a privileged request)
 *   POST /onboardings/batch               -> 202 { summary, onboardings: [...] } (207 when a row was refused at
 *                                            start); 400 naming every bad row when any is bad, nothing started
 *   GET  /onboardings[?status=&limit=&cursor=] -> 200 { onboardings: [...], next?, nextUrl? }: the ledger's
 *                                            requests newest first, a page at a time (src/ledger/list.ts)
 *   POST /onboardings/{requestId}/approval -> 200 { requestId, executionArn, approval, statusUrl }: an
 *                                            approver's decision (src/approvals); 403 the requester or
 *                                            not an approver, 404 nothing waits, 409 decided or expired
 *   POST /offboardings                    -> 202 { requestId, executionArn, statusUrl }: the leaver saga
 *                                            (statemachine/offboarding.asl.yaml), idempotent by request id
 *   GET  /offboardings/{requestId}        -> 200 the ledger's offboarding record (phase, snapshot, ...)
 *   POST /offboardings/{requestId}/restore -> 200 during the grace period (the containment is lifted);
 *                                            409 outside it
 * Bad input of any kind is a 4xx with a message; a 5xx means this service or AWS is unwell.
 */

export interface HttpRequest {
  method: string;
  /** The path as sent; a `?query` on it is read too. */
  path: string;
  /** The raw query string, without `?` (API Gateway's rawQueryString). */
  query?: string;
  /**
   * Any case; a repeated header as a list (or joined with ", ", API Gateway's form). A repeated
   * signature or Authorization header is refused.
   */
  headers: Record<string, string | readonly string[] | undefined>;
  rawBody: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One line per call for the logs: never a body, a header or a secret. */
export interface ApiLogEntry {
  method: string;
  route: string;
  status: number;
  requestId?: string;
  auth?: 'signature' | 'bearer';
  refused?: AuthFailure;
  errorName?: string;
  /** For a 5xx: what failed, so that the logs say why (our own messages carry no secret). */
  errorMessage?: string;
  errorStack?: string;
}

export interface ApiDeps {
  config: OnboardingConfig;
  /** Where completion callbacks may go in this stage: a request naming another place is a 400. */
  callbackPolicy: CallbackPolicy;
  starter: OnboardingStarter;
  statusReader: OnboardingStatusReader;
  /** Where every accepted request is recorded (src/ledger): who asked, what for, its execution. */
  ledger: Pick<RequestLedger, 'recordAccepted'>;
  /** The ledger's listing (GET /onboardings): its two indexes, a page at a time. */
  lister: Pick<LedgerLister, 'list'>;
  credentials: () => Promise<Credentials>;
  /**
   * The approval gate: the ledger's approvals and the task-token answers. Without it the approval route
   * answers 503 (a deployment without the gate) and the status carries no approval.
   */
  approvals?: Omit<ApprovalDeps, 'config'>;
  /**
   * The offboarding state machine, its ledger records and the grace period's token answers. Without it
   * the offboarding routes answer 503 (a deployment without the leaver saga).
   */
  offboardings?: {
    starter: OnboardingStarter;
    store: Pick<OffboardingStore, 'get' | 'requestRestore'>;
    callbacks: TaskCallbacks;
  };
  /** Where status URLs point: the API's own base URL, without a trailing slash. */
  baseUrl: string;
  now?: () => number;
  log?: (entry: ApiLogEntry) => void;
}

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

const json = (status: number, body: unknown, extra: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { ...HEADERS, ...extra },
  body: JSON.stringify(body),
});

const UNAUTHORIZED = () => json(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });

const POST_PATHS: Record<string, Source> = {
  '/onboardings': 'generic',
  '/onboardings/jira': 'jira',
  '/onboardings/servicenow': 'servicenow',
};

const BATCH_PATH = '/onboardings/batch';

const OFFBOARDING_POST_PATHS: Record<string, Source> = {
  '/offboardings': 'generic',
  '/offboardings/jira': 'jira',
  '/offboardings/servicenow': 'servicenow',
};

/** A batch may be as large as its rows: each at most one request's limit. */
export function bodyLimitOf(path: string, config: Pick<OnboardingConfig, 'api'>): number {
  const bare = path.split('?')[0]?.replace(/\/+$/, '');
  return bare === BATCH_PATH ? config.api.maxBodyBytes * MAX_BATCH_ROWS : config.api.maxBodyBytes;
}

const STATUS_PATH = /^\/onboardings\/([A-Za-z0-9][A-Za-z0-9_-]{0,79})$/;
const APPROVAL_PATH = /^\/onboardings\/([A-Za-z0-9][A-Za-z0-9_-]{0,79})\/approval$/;
const OFFBOARDING_PATH = /^\/offboardings\/([A-Za-z0-9][A-Za-z0-9_-]{0,79})$/;
const RESTORE_PATH = /^\/offboardings\/([A-Za-z0-9][A-Za-z0-9_-]{0,79})\/restore$/;

interface Call {
  req: HttpRequest;
  headers: Record<string, string | readonly string[] | undefined>;
  /** What the signature covers: the path and query exactly as sent. */
  target: string;
  query: URLSearchParams;
  deps: ApiDeps;
  entry: ApiLogEntry;
}

export async function handleHttp(req: HttpRequest, deps: ApiDeps): Promise<HttpResponse> {
  const entry: ApiLogEntry = { method: req.method, route: 'unknown', status: 0 };
  let response: HttpResponse;
  try {
    response = await route(req, deps, entry);
  } catch (error) {
    const e = error as Error | undefined;
    entry.errorName = e?.name ?? 'Error';
    entry.errorMessage = e?.message ?? String(error);
    if (e?.stack) entry.errorStack = e.stack;
    response = failureResponse(error);
  }
  entry.status = response.status;
  deps.log?.(entry);
  return response;
}

/**
 * A 503 when AWS is briefly unwell (worth a retry by the caller), a 502 when an AWS call was refused,
 * a 500 for anything else: a bug of ours, which a retry will not fix. The caller gets no detail.
 */
function failureResponse(error: unknown): HttpResponse {
  if (error instanceof OnboardingError && error.kind === 'transient') {
    return json(503, { error: 'the onboarding service is busy; try again' }, { 'retry-after': '5' });
  }
  const fromAws = (error as { cause?: { $fault?: unknown } } | undefined)?.cause?.$fault !== undefined;
  if (error instanceof OnboardingError && error.name !== 'UnexpectedError' && fromAws) {
    return json(502, {
      error: 'the onboarding service could not complete the call to AWS; the logs say why',
    });
  }
  return json(500, { error: 'the onboarding service failed; the logs say why' });
}

/** Lower-cased names; the same name in two cases is a repeated header, kept as a list. */
function lowerCased(headers: HttpRequest['headers']): Record<string, string | readonly string[] | undefined> {
  const out: Record<string, string | readonly string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    const values = [...toList(out[key]), ...toList(v)];
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

const toList = (v: string | readonly string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : [...v];

/** For everything but authentication, a repeated header reads as API Gateway joins it. */
function joined(headers: Call['headers']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = typeof v === 'object' ? v.join(', ') : v;
  return out;
}

async function route(req: HttpRequest, deps: ApiDeps, entry: ApiLogEntry): Promise<HttpResponse> {
  const q = req.path.indexOf('?');
  const rawPath = q < 0 ? req.path : req.path.slice(0, q);
  const pathQuery = q < 0 ? '' : req.path.slice(q + 1);
  let end = rawPath.length;
  while (end > 1 && rawPath[end - 1] === '/') end--;
  const path = rawPath.slice(0, end) || '/';
  const query = req.query ?? pathQuery;
  const call: Call = {
    req,
    headers: lowerCased(req.headers),
    target: query ? `${rawPath}?${query}` : rawPath,
    query: new URLSearchParams(query),
    deps,
    entry,
  };
  const method = req.method.toUpperCase();
  const source = POST_PATHS[path];
  if (path === '/onboardings') {
    entry.route = `${method === 'GET' ? 'GET' : 'POST'} /onboardings`;
    if (method === 'POST') return start('generic', call);
    if (method === 'GET') return list(call);
    return json(
      405,
      { error: 'use POST on /onboardings to start one, GET to list them' },
      { allow: 'GET, POST' },
    );
  }
  if (path === BATCH_PATH) {
    entry.route = `POST ${BATCH_PATH}`;
    if (method === 'POST') return startBatch(call);
    return json(405, { error: `use POST on ${BATCH_PATH}` }, { allow: 'POST' });
  }
  if (source) {
    entry.route = `POST ${path}`;
    if (method === 'POST') return start(source, call);
    return json(405, { error: `use POST on ${path}` }, { allow: 'POST' });
  }
  const approvalOfId = APPROVAL_PATH.exec(path)?.[1];
  if (approvalOfId) {
    entry.route = 'POST /onboardings/{requestId}/approval';
    if (method === 'POST') return approve(approvalOfId, call);
    return json(405, { error: 'use POST on /onboardings/{requestId}/approval' }, { allow: 'POST' });
  }
  const offboardingSource = OFFBOARDING_POST_PATHS[path];
  if (offboardingSource) {
    entry.route = `POST ${path}`;
    if (method === 'POST') return startOffboarding(offboardingSource, call);
    return json(405, { error: `use POST on ${path} to start one` }, { allow: 'POST' });
  }
  const restoreOfId = RESTORE_PATH.exec(path)?.[1];
  if (restoreOfId) {
    entry.route = 'POST /offboardings/{requestId}/restore';
    if (method === 'POST') return restoreOffboarding(restoreOfId, call);
    return json(405, { error: 'use POST on /offboardings/{requestId}/restore' }, { allow: 'POST' });
  }
  const offboardingId = OFFBOARDING_PATH.exec(path)?.[1];
  if (offboardingId) {
    entry.route = 'GET /offboardings/{requestId}';
    if (method === 'GET') return offboardingStatus(offboardingId, call);
    return json(405, { error: 'use GET on /offboardings/{requestId}' }, { allow: 'GET' });
  }
  const requestId = STATUS_PATH.exec(path)?.[1];
  if (requestId) {
    entry.route = 'GET /onboardings/{requestId}';
    if (method === 'GET') return status(requestId, call);
    return json(405, { error: 'use GET on /onboardings/{requestId}' }, { allow: 'GET' });
  }
  return json(404, { error: 'not found' });
}

async function authorized(call: Call): Promise<boolean> {
  const signed = { method: call.req.method, path: call.target, body: call.req.rawBody };
  const result = authenticate(call.headers, signed, await call.deps.credentials(), {
    now: call.deps.now?.() ?? Date.now(),
    replayWindowSeconds: call.deps.config.api.replayWindowSeconds,
  });
  if (result.ok) call.entry.auth = result.method;
  else call.entry.refused = result.reason;
  return result.ok;
}

/** 413 for a body over the route's limit, before anything reads it. */
function bodyTooLarge(rawBody: string, limit: number): HttpResponse | undefined {
  if (Buffer.byteLength(rawBody, 'utf8') <= limit) return undefined;
  return json(413, { error: `the body is larger than ${limit} bytes` });
}

async function start(pathSource: Source, call: Call): Promise<HttpResponse> {
  const { deps, req } = call;
  const tooLarge = bodyTooLarge(req.rawBody, deps.config.api.maxBodyBytes);
  if (tooLarge) return tooLarge;
  if (!(await authorized(call))) return UNAUTHORIZED();

  const source = sourceFor(pathSource, call);
  if (typeof source !== 'string') return source;
  const parsedBody = bodyOf(call, `onboarding request (${source} payload)`);
  if ('refused' in parsedBody) return parsedBody.refused;
  const body = parsedBody.body;
  let adapted: Adapted | undefined;
  let request: OnboardingRequest;
  try {
    adapted = adapt(source, body);
    request = validateRequest(adapted.request, deps.config);
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      const name = adapted?.fieldName ?? ((p: string) => p);
      return json(400, {
        error: `invalid onboarding request (${source} payload)`,
        issues: error.issues.map((i) => ({ path: name(i.path), message: i.message })),
      });
    }
    if (error instanceof RequestNotAllowedError) return json(403, { error: error.message });
    throw error;
  }
  // Refused now, naming the host and the fix, rather than accepted and skipped when it ends.
  const callbackUrl = request.contact?.callbackUrl;
  const refusal = callbackUrl === undefined ? undefined : callbackRefusal(callbackUrl, deps.callbackPolicy);
  if (refusal) {
    const name = adapted?.fieldName ?? ((p: string) => p);
    return json(400, {
      error: `invalid onboarding request (${source} payload): ${refusal}`,
      issues: [{ path: name('contact.callbackUrl'), message: refusal }],
    });
  }

  call.entry.requestId = request.requestId;
  const started = await startValidated(request, source, call);
  return 'refused' in started
    ? json(409, { error: started.refused, statusUrl: started.statusUrl })
    : json(202, started.body, { location: started.body.statusUrl });
}

interface StartedBody {
  requestId: string;
  executionArn: string;
  statusUrl: string;
  attempt?: number;
  previousAttempts?: { attempt: number; executionArn: string; status: string }[];
}

/**
 * The one start path of a validated request, single or a batch's row: the execution (idempotent by
 * request id; a new attempt after a clean rollback), then the ledger's acceptance. A request id held by
 * another request, or a re-run that cannot be named, is `refused` with the reason.
 */
async function startValidated(
  request: OnboardingRequest,
  source: Source,
  call: Call,
): Promise<{ body: StartedBody; started: boolean } | { refused: string; statusUrl: string }> {
  const { deps } = call;
  const statusUrl = `${deps.baseUrl}/onboardings/${request.requestId}`;
  try {
    const started = await deps.starter.start(request.requestId, JSON.stringify(request));
    // Recorded once the execution exists (a failed start leaves no record of a request that never ran);
    // a failure here is a 5xx, and the caller's retry starts nothing new and records again.
    const now = new Date(deps.now?.() ?? Date.now());
    const attempt = started.attempt ?? 1;
    await deps.ledger.recordAccepted({
      requestId: request.requestId,
      executionArn: started.executionArn,
      ...(attempt > 1 ? { attempt, previousAttempts: started.previousAttempts ?? [] } : {}),
      requestedBy: {
        channel: 'http-api',
        source,
        ...(call.entry.auth ? { auth: call.entry.auth } : {}),
      },
      access: accessOf(request, deps.config),
      startedAt: started.startDate ?? now,
      acceptedAt: now,
    });
    // A re-run of a rolled-back ticket says which attempt it is and links the ones before.
    const attempts =
      attempt > 1
        ? {
            attempt,
            previousAttempts: (started.previousAttempts ?? []).map((p) => ({
              attempt: p.attempt,
              executionArn: p.executionArn,
              status: p.status,
            })),
          }
        : {};
    // A privileged request waits for an approver: the ticket learns at once who, and where to answer.
    const need = approvalOf(request, deps.config);
    const approval = need.required
      ? {
          approval: {
            required: true,
            approvers: need.approvers,
            expiresAfterSeconds: need.expiresAfterSeconds,
            approvalUrl: `${statusUrl}/approval`,
          },
        }
      : {};
    return {
      body: {
        requestId: request.requestId,
        executionArn: started.executionArn,
        statusUrl,
        ...attempts,
        ...approval,
      },
      started: started.started !== false,
    };
  } catch (error) {
    if (error instanceof RequestIdConflictError) {
      return {
        refused: `request id ${request.requestId} was already used with a different request`,
        statusUrl,
      };
    }
    // The ticket rolled back but cannot be run again under this id: say why and what to do.
    if (error instanceof RerunNameTooLongError || error instanceof TooManyAttemptsError) {
      return { refused: error.message, statusUrl };
    }
    throw error;
  }
}

const NO_OFFBOARDING = () =>
  json(503, { error: 'this deployment has no offboarding state machine configured' });

/** Which tool's payload this is (the path, `?source=` or the header), or the 400 naming the unknown one. */
function sourceFor(pathSource: Source, call: Call): Source | HttpResponse {
  try {
    return sourceOf(pathSource, call.query, joined(call.headers));
  } catch (error) {
    if (error instanceof UnknownSourceError) return json(400, { error: error.message });
    throw error;
  }
}

/** A strict JSON body, or the 400 that says what is wrong with it. */
function bodyOf(call: Call, what: string): { body: unknown } | { refused: HttpResponse } {
  try {
    return { body: parseStrictJson(call.req.rawBody) };
  } catch (error) {
    if (error instanceof StrictJsonError) {
      return {
        refused: json(400, {
          error: `invalid ${what}: ${error.message}`,
          issues: [{ path: error.path, message: error.message }],
        }),
      };
    }
    return { refused: json(400, { error: 'the body is not valid JSON' }) };
  }
}

async function startOffboarding(pathSource: Source, call: Call): Promise<HttpResponse> {
  const { deps, req } = call;
  const tooLarge = bodyTooLarge(req.rawBody, deps.config.api.maxBodyBytes);
  if (tooLarge) return tooLarge;
  if (!(await authorized(call))) return UNAUTHORIZED();
  if (!deps.offboardings) return NO_OFFBOARDING();
  const source = sourceFor(pathSource, call);
  if (typeof source !== 'string') return source;
  const parsed = bodyOf(call, `offboarding request (${source} payload)`);
  if ('refused' in parsed) return parsed.refused;
  let request: OffboardingRequest;
  let adapted: Adapted | undefined;
  try {
    adapted = adapt(source, parsed.body, 'offboarding');
    request = parseOffboardingRequest(adapted.request);
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      const a = adapted;
      // Each field as the ticketing tool names it (`offboarding.userName`, `variables.user_name`).
      return json(400, {
        error: `invalid offboarding request (${source} payload)`,
        issues: error.issues.map((i) => ({ path: a ? a.fieldName(i.path) : i.path, message: i.message })),
      });
    }
    throw error;
  }
  call.entry.requestId = request.requestId;
  const callbackUrl = request.contact?.callbackUrl;
  const refusal = callbackUrl === undefined ? undefined : callbackRefusal(callbackUrl, deps.callbackPolicy);
  if (refusal) {
    return json(400, {
      error: `invalid offboarding request (${source} payload)`,
      issues: [{ path: adapted.fieldName('contact.callbackUrl'), message: refusal }],
    });
  }
  const statusUrl = `${deps.baseUrl}/offboardings/${request.requestId}`;
  try {
    const started = await deps.offboardings.starter.start(request.requestId, JSON.stringify(request));
    return json(started.started === false ? 200 : 202, {
      requestId: request.requestId,
      executionArn: started.executionArn,
      gracePeriodDays: request.gracePeriodDays,
      statusUrl,
      ...(request.gracePeriodDays > 0 ? { restoreUrl: `${statusUrl}/restore` } : {}),
    });
  } catch (error) {
    if (error instanceof RequestIdConflictError) {
      return json(409, {
        error: `request id ${request.requestId} was already used with a different offboarding request`,
        statusUrl,
      });
    }
    if (error instanceof RerunNameTooLongError || error instanceof TooManyAttemptsError) {
      return json(409, { error: error.message, statusUrl });
    }
    throw error;
  }
}

async function offboardingStatus(requestId: string, call: Call): Promise<HttpResponse> {
  if (!(await authorized(call))) return UNAUTHORIZED();
  call.entry.requestId = requestId;
  if (!call.deps.offboardings) return NO_OFFBOARDING();
  const record = await call.deps.offboardings.store.get(requestId);
  if (!record) return json(404, { error: `no offboarding with request id ${requestId}` });
  return json(200, record);
}

const restoreBodySchema = z.strictObject({
  requestedBy: z.string().check(z.minLength(1), z.maxLength(128)),
});

async function restoreOffboarding(requestId: string, call: Call): Promise<HttpResponse> {
  const { deps, req } = call;
  const tooLarge = bodyTooLarge(req.rawBody, deps.config.api.maxBodyBytes);
  if (tooLarge) return tooLarge;
  if (!(await authorized(call))) return UNAUTHORIZED();
  call.entry.requestId = requestId;
  if (!deps.offboardings) return NO_OFFBOARDING();
  const parsed = bodyOf(call, 'restore request');
  if ('refused' in parsed) return parsed.refused;
  const body = restoreBodySchema.safeParse(parsed.body);
  if (!body.success) {
    return json(400, {
      error: 'invalid restore request: { "requestedBy": "<who asks>" } and nothing else',
      issues: body.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(body)',
        message: i.message,
      })),
    });
  }
  try {
    const { executionArn } = await requestRestore(
      { requestId, requestedBy: body.data.requestedBy },
      {
        offboardings: deps.offboardings.store,
        callbacks: deps.offboardings.callbacks,
        now: () => new Date(deps.now?.() ?? Date.now()),
      },
    );
    return json(200, {
      requestId,
      executionArn,
      restore: 'requested',
      statusUrl: `${deps.baseUrl}/offboardings/${requestId}`,
    });
  } catch (error) {
    if (error instanceof OffboardingRefusedError) return json(409, { error: error.message });
    if (error instanceof TaskClosedError) {
      return json(409, {
        error: `offboarding ${requestId}: the grace period ended before the restore reached it; the removal has started`,
      });
    }
    throw error;
  }
}

async function status(requestId: string, call: Call): Promise<HttpResponse> {
  if (!(await authorized(call))) return UNAUTHORIZED();
  call.entry.requestId = requestId;
  const outcome = await call.deps.statusReader.status(requestId);
  if (!outcome) return json(404, { error: `no onboarding with request id ${requestId}` });
  const record = await call.deps.approvals?.store.get(requestId);
  return json(200, withApproval(outcome, record));
}

async function approve(requestId: string, call: Call): Promise<HttpResponse> {
  const { deps, req } = call;
  const tooLarge = bodyTooLarge(req.rawBody, deps.config.api.maxBodyBytes);
  if (tooLarge) return tooLarge;
  if (!(await authorized(call))) return UNAUTHORIZED();
  call.entry.requestId = requestId;
  if (!deps.approvals) {
    return json(503, { error: 'this deployment has no approval gate configured' });
  }
  const source = sourceFor('generic', call);
  if (typeof source !== 'string') return source;
  let adapted: AdaptedApproval | undefined;
  const statusUrl = `${deps.baseUrl}/onboardings/${requestId}`;
  try {
    const parsed = bodyOf(call, `approval (${source} payload)`);
    if ('refused' in parsed) return parsed.refused;
    const body = parsed.body;
    adapted = adaptApproval(source, requestId, body);
    const decision = parseDecision(requestId, adapted.body);
    const outcome = await decideApproval(decision, {
      ...deps.approvals,
      config: deps.config,
      now: () => new Date(deps.now?.() ?? Date.now()),
    });
    return json(200, {
      requestId,
      executionArn: outcome.executionArn,
      approval: outcome.approval,
      ...(outcome.changed ? {} : { unchanged: true }),
      statusUrl,
    });
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      const a = adapted;
      return json(400, {
        error: `invalid approval (${source} payload)`,
        issues: error.issues.map((i) => ({
          path: a ? a.fieldName(i.path) : i.path,
          message: a ? a.message(i.path, i.message) : i.message,
        })),
      });
    }
    if (error instanceof ApprovalForbiddenError) return json(403, { error: error.message });
    if (error instanceof ApprovalNotFoundError) return json(404, { error: error.message });
    if (error instanceof ApprovalConflictError) return json(409, { error: error.message, statusUrl });
    throw error;
  }
}

const LIST_PARAMETERS = ['status', 'limit', 'cursor'] as const;

/** The listing's query string: each parameter at most once, nothing unknown (a typo filters nothing). */
function listQueryOf(query: URLSearchParams): ListQuery {
  const issues: { path: string; message: string }[] = [];
  for (const name of new Set(query.keys())) {
    if (!(LIST_PARAMETERS as readonly string[]).includes(name)) {
      issues.push({ path: name, message: `unknown query parameter: use ${LIST_PARAMETERS.join(', ')}` });
    } else if (query.getAll(name).length > 1) {
      issues.push({ path: name, message: 'given more than once: pass it once' });
    }
  }
  if (issues.length) throw new InvalidListQueryError(issues);
  const status = query.get('status');
  const limit = query.get('limit');
  const cursor = query.get('cursor');
  return {
    ...(status !== null && status !== '' ? { status: parseStatusFilter(status) } : {}),
    ...(limit !== null ? { limit: parseLimit(limit) } : {}),
    ...(cursor !== null && cursor !== '' ? { cursor } : {}),
  };
}

async function list(call: Call): Promise<HttpResponse> {
  if (!(await authorized(call))) return UNAUTHORIZED();
  const { deps } = call;
  try {
    const query = listQueryOf(call.query);
    const page = await deps.lister.list(query);
    const next = page.next;
    const nextQuery = new URLSearchParams({
      ...(query.status ? { status: query.status } : {}),
      ...(query.limit !== undefined ? { limit: String(query.limit) } : {}),
      ...(next ? { cursor: next } : {}),
    });
    return json(200, {
      onboardings: page.items.map((item) => ({
        ...listedOf(item),
        statusUrl: `${deps.baseUrl}/onboardings/${item.requestId}`,
      })),
      ...(next ? { next, nextUrl: `${deps.baseUrl}/onboardings?${nextQuery}` } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidListQueryError) {
      return json(400, { error: error.message, issues: error.issues });
    }
    throw error;
  }
}

interface BatchRow {
  row: number;
  requestId: string;
  result: 'started' | 'already started' | 'refused';
  statusUrl: string;
  executionArn?: string;
  attempt?: number;
  error?: string;
}

/** Every row validated first (any bad one: 400, nothing started); then each row through startValidated. */
async function startBatch(call: Call): Promise<HttpResponse> {
  const { deps, req } = call;
  const tooLarge = bodyTooLarge(req.rawBody, bodyLimitOf(BATCH_PATH, deps.config));
  if (tooLarge) return tooLarge;
  if (!(await authorized(call))) return UNAUTHORIZED();
  let body: unknown;
  try {
    body = parseStrictJson(req.rawBody);
  } catch (error) {
    if (error instanceof StrictJsonError) {
      return json(400, {
        error: `invalid batch: ${error.message}`,
        issues: [{ row: 0, path: error.path, message: error.message }],
      });
    }
    return json(400, { error: 'the body is not valid JSON' });
  }
  let requests: OnboardingRequest[];
  try {
    requests = validateBatch(rowsOfJson(body), deps.config, deps.callbackPolicy);
  } catch (error) {
    if (error instanceof InvalidBatchError) return json(400, { error: error.message, issues: error.issues });
    throw error;
  }
  const rows: BatchRow[] = [];
  // In roster order, one after the other: the order the hires arrive in is the order they start in.
  for (const [index, request] of requests.entries()) {
    const started = await startValidated(request, 'generic', call);
    if ('refused' in started) {
      rows.push({
        row: index + 1,
        requestId: request.requestId,
        result: 'refused',
        statusUrl: started.statusUrl,
        error: started.refused,
      });
      continue;
    }
    rows.push({
      row: index + 1,
      requestId: request.requestId,
      result: started.started ? 'started' : 'already started',
      statusUrl: started.body.statusUrl,
      executionArn: started.body.executionArn,
      ...(started.body.attempt ? { attempt: started.body.attempt } : {}),
    });
  }
  const count = (r: BatchRow['result']) => rows.filter((x) => x.result === r).length;
  const summary = {
    rows: rows.length,
    started: count('started'),
    alreadyStarted: count('already started'),
    refused: count('refused'),
  };
  return json(summary.refused ? 207 : 202, { summary, onboardings: rows });
}
