import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../../src/api/auth.ts';
import { bodyLimitOf, handleHttp } from '../../../src/api/http.ts';
import { RerunNameTooLongError } from '../../../src/attempts.ts';
import { toDomainError } from '../../../src/aws/errors.ts';
import { ThrottlingError } from '../../../src/errors.ts';
import type { ExecutionOutcome } from '../../../src/execution/outcome.ts';
import { TEST_HIRE_RECIPIENT } from '../../fixtures/hire-key.ts';
import {
  API_TOKEN,
  apiDeps,
  fakeLister,
  NOW,
  post,
  requestItem,
  validRequest,
  WEBHOOK_SECRET,
} from './fakes.ts';

const body = JSON.stringify(validRequest);
const signed = (raw: string, method = 'POST', path = '/onboardings') => ({
  'X-Onboarding-Signature': signatureHeader(WEBHOOK_SECRET, { method, path, body: raw }, NOW),
});
const bearer = { Authorization: `Bearer ${API_TOKEN}` };
const parse = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;

describe('POST /onboardings', () => {
  it('starts the validated request under its request id: 202, the execution, a status URL', async () => {
    const { deps, fake, logged } = apiDeps();
    const response = await handleHttp(post(body, signed(body)), deps);
    expect(response.status).toBe(202);
    expect(parse(response)).toEqual({
      requestId: 'HR-1',
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1',
      statusUrl: 'https://api.example.com/onboardings/HR-1',
    });
    expect(response.headers.location).toBe('https://api.example.com/onboardings/HR-1');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(fake.started).toHaveLength(1);
    // Defaults filled in: what runs is the request as validated.
    expect(JSON.parse(fake.started[0]?.input ?? '')).toMatchObject({
      profile: 'developers',
      contact: { recipient: TEST_HIRE_RECIPIENT },
      tags: {},
    });
    expect(logged).toEqual([
      { method: 'POST', route: 'POST /onboardings', status: 202, auth: 'signature', requestId: 'HR-1' },
    ]);
  });

  it.each([
    [
      'a duplicate key',
      '{"requestId":"HR-1","userName":"alice","userName":"root","group":"developers"}',
      'userName',
    ],
    [
      'a __proto__ key',
      '{"requestId":"HR-1","userName":"alice","group":"developers","__proto__":{"x":1}}',
      '__proto__',
    ],
    [
      'a nested constructor key',
      '{"requestId":"HR-1","userName":"alice","group":"developers","tags":{"constructor":"x"}}',
      'tags.constructor',
    ],
  ])('answers 400 naming %s and starts nothing', async (_what, raw, path) => {
    const { deps, fake } = apiDeps();
    const response = await handleHttp(post(raw, signed(raw)), deps);
    expect(response.status).toBe(400);
    expect(parse(response).issues).toEqual([{ path, message: expect.stringMatching(/twice|not allowed/) }]);
    expect(fake.started).toEqual([]);
  });

  it('answers the same request again with the same execution, and another request under its id with 409', async () => {
    const { deps, fake } = apiDeps();
    const first = await handleHttp(post(body, signed(body)), deps);
    const again = await handleHttp(post(body, bearer), deps);
    expect(again.status).toBe(202);
    expect(parse(again).executionArn).toBe(parse(first).executionArn);
    const other = JSON.stringify({ ...validRequest, userName: 'bob' });
    const conflict = await handleHttp(post(other, signed(other)), deps);
    expect(conflict.status).toBe(409);
    expect(parse(conflict).error).toBe('request id HR-1 was already used with a different request');
    expect(fake.started).toHaveLength(1);
  });

  it('answers a re-run of a rolled-back ticket with its new attempt, linked to the one before, and records it', async () => {
    const previous = {
      attempt: 1,
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1',
      status: 'FAILED',
      error: 'AccessDenied',
    };
    const { deps, ledger } = apiDeps({
      starter: {
        start: async () => ({
          executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1-2',
          attempt: 2,
          started: true,
          previousAttempts: [previous],
        }),
      },
    });
    const response = await handleHttp(post(body, bearer), deps);
    expect(response.status).toBe(202);
    expect(parse(response)).toMatchObject({
      requestId: 'HR-1',
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1-2',
      attempt: 2,
      previousAttempts: [{ attempt: 1, executionArn: previous.executionArn, status: 'FAILED' }],
    });
    expect(ledger.accepted[0]).toMatchObject({ requestId: 'HR-1', attempt: 2, previousAttempts: [previous] });
  });

  it('answers 409, saying why and what to do, when a rolled-back ticket cannot be run again under its id', async () => {
    const { deps } = apiDeps({
      starter: {
        start: async (id) => {
          throw new RerunNameTooLongError(`request ${id} cannot be run again: send it under a shorter id`);
        },
      },
    });
    const response = await handleHttp(post(body, bearer), deps);
    expect(response.status).toBe(409);
    expect(parse(response).error).toMatch(/cannot be run again/);
  });

  it('answers 400 with every field error, named as the tool sent it', async () => {
    const { deps, fake } = apiDeps();
    const bad = JSON.stringify({ ...validRequest, userName: 'a b', accessKey: 'maybe', extra: 1 });
    const response = await handleHttp(post(bad, bearer), deps);
    expect(response.status).toBe(400);
    const issues = (parse(response).issues as { path: string }[]).map((i) => i.path).sort();
    expect(issues).toEqual(['(request)', 'accessKey', 'userName']);

    const jira = JSON.stringify({ issue: { key: 'JSM-1' }, onboarding: { userName: 'a b', profile: 'sre' } });
    const fromJira = await handleHttp(post(jira, bearer, '/onboardings/jira'), deps);
    expect(fromJira.status).toBe(400);
    expect(parse(fromJira)).toEqual({
      error: 'invalid onboarding request (jira payload)',
      issues: [{ path: 'onboarding.userName', message: expect.stringContaining('no comma') }],
    });
    expect(fake.started).toEqual([]);
  });

  it('answers 403 with the reason for what is off the allowlists', async () => {
    const { deps, fake } = apiDeps();
    const admin = JSON.stringify({ ...validRequest, profile: 'admins' });
    const response = await handleHttp(post(admin, bearer), deps);
    expect(response.status).toBe(403);
    expect(parse(response).error).toMatch(
      /^request HR-1 is not allowed: profile "admins" is not in the configuration's profiles/,
    );
    expect(fake.started).toEqual([]);
  });

  it('starts a privileged request and tells the ticket in the 202 who must approve, and where', async () => {
    const { deps, fake } = apiDeps();
    const admin = JSON.stringify({
      ...validRequest,
      profile: 'kinesis-video-admin',
      requestedBy: 'dave@example.com',
      contact: { recipient: TEST_HIRE_RECIPIENT },
      policyArns: [],
    });
    const response = await handleHttp(post(admin, bearer), deps);
    expect(response.status).toBe(202);
    expect(parse(response).approval).toEqual({
      required: true,
      approvers: ['alice@example.com', 'carol@example.com'],
      expiresAfterSeconds: 259_200,
      approvalUrl: 'https://api.example.com/onboardings/HR-1/approval',
    });
    expect(fake.started.map((s) => s.requestId)).toEqual(['HR-1']);
  });

  it('answers 400 for a privileged request that does not say who asked, and starts nothing', async () => {
    const { deps, fake } = apiDeps();
    const admin = JSON.stringify({
      ...validRequest,
      profile: 'kinesis-video-admin',
      contact: { recipient: TEST_HIRE_RECIPIENT },
      policyArns: [],
    });
    const response = await handleHttp(post(admin, bearer), deps);
    expect(response.status).toBe(400);
    expect((parse(response).issues as { path: string }[])[0]?.path).toBe('requestedBy');
    expect(fake.started).toEqual([]);
  });

  it('answers 401 with no detail, and only the log says why', async () => {
    const { deps, fake, logged } = apiDeps();
    const response = await handleHttp(post(body, signatureFrom(body, NOW - 3_600_000)), deps);
    expect(response).toMatchObject({ status: 401, body: '{"error":"unauthorized"}' });
    expect(logged).toEqual([
      { method: 'POST', route: 'POST /onboardings', status: 401, refused: 'outside replay window' },
    ]);
    expect(fake.started).toEqual([]);
  });

  it('answers 413 for a body over the limit and 400 for a body that is not JSON', async () => {
    const { deps } = apiDeps();
    const big = 'x'.repeat(deps.config.api.maxBodyBytes + 1);
    expect((await handleHttp(post(big, signed(big)), deps)).status).toBe(413);
    expect(parse(await handleHttp(post('{', signed('{')), deps))).toEqual({
      error: 'the body is not valid JSON',
    });
    expect((await handleHttp(post('', signed('')), deps)).status).toBe(400);
  });

  it('answers 400 for an unknown or contradictory source', async () => {
    const { deps } = apiDeps();
    const r = await handleHttp({ ...post(body, bearer), query: 'source=slack' }, deps);
    expect(r.status).toBe(400);
    expect(parse(r).error).toBe('unknown source "slack" (one of: generic, jira, servicenow)');
    expect((await handleHttp(post(body, bearer, '/onboardings/jira?source=servicenow'), deps)).status).toBe(
      400,
    );
  });

  it('answers 503 with Retry-After when Step Functions or Secrets Manager is briefly unwell, 500 for a bug', async () => {
    const throttled = apiDeps({
      starter: {
        start: async () => Promise.reject(new ThrottlingError('StartExecution HR-1: Rate exceeded')),
      },
    });
    const busy = await handleHttp(post(body, bearer), throttled.deps);
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
    expect(busy.body).not.toContain('Rate exceeded');

    const secretsDown = apiDeps({ credentials: () => Promise.reject(new ThrottlingError('GetSecretValue')) });
    expect((await handleHttp(post(body, bearer), secretsDown.deps)).status).toBe(503);

    const broken = apiDeps({
      starter: { start: async () => Promise.reject(new TypeError('x is undefined')) },
    });
    const failed = await handleHttp(post(body, bearer), broken.deps);
    expect(failed.status).toBe(500);
    expect(broken.logged).toEqual([
      expect.objectContaining({
        status: 500,
        errorName: 'TypeError',
        errorMessage: 'x is undefined',
        errorStack: expect.stringContaining('TypeError: x is undefined'),
      }),
    ]);
    expect(failed.body).not.toContain('x is undefined');
  });

  it('answers 502 when an AWS call was refused, and keeps the refusal out of the answer', async () => {
    const refusal = Object.assign(new Error('User is not authorized to perform states:StartExecution'), {
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    const denied = apiDeps({
      starter: { start: async () => Promise.reject(toDomainError(refusal, 'StartExecution HR-1')) },
    });
    const r = await handleHttp(post(body, bearer), denied.deps);
    expect(r.status).toBe(502);
    expect(r.body).not.toContain('not authorized');
    expect(denied.logged).toEqual([expect.objectContaining({ status: 502, errorName: 'AccessDenied' })]);
  });
});

function signatureFrom(raw: string, now: number) {
  return {
    'x-onboarding-signature': signatureHeader(
      WEBHOOK_SECRET,
      { method: 'POST', path: '/onboardings', body: raw },
      now,
    ),
  };
}

describe('GET /onboardings/{requestId}', () => {
  const report: ExecutionOutcome = {
    requestId: 'HR-1',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1',
    status: 'rolled back',
    startedAt: '2026-01-15T12:00:00.000Z',
    timeline: [{ state: 'CreateUser', status: 'failed', startedAt: '2026-01-15T12:00:00.000Z', attempts: 1 }],
    failure: {
      failedStep: 'CreateUser',
      error: 'AccessDenied',
      message: 'no',
      rolledBack: [],
      kept: [],
      leftBehind: [],
    },
  };

  it('answers the report to a signature over the empty body, or to the bearer token', async () => {
    const { deps, fake } = apiDeps();
    fake.reports.set('HR-1', report);
    const get = (headers: Record<string, string>) =>
      handleHttp({ method: 'GET', path: '/onboardings/HR-1/', headers, rawBody: '' }, deps);
    const bySignature = await get(signed('', 'GET', '/onboardings/HR-1/'));
    expect(bySignature.status).toBe(200);
    expect(parse(bySignature)).toEqual(report);
    expect((await get(bearer)).status).toBe(200);
    expect((await get({})).status).toBe(401);
  });

  it('answers 404 for a request id it does not know, and 405 for another method', async () => {
    const { deps } = apiDeps();
    const missing = await handleHttp(
      { method: 'GET', path: '/onboardings/HR-404', headers: bearer, rawBody: '' },
      deps,
    );
    expect(missing.status).toBe(404);
    expect(parse(missing).error).toBe('no onboarding with request id HR-404');
    const del = await handleHttp(
      { method: 'DELETE', path: '/onboardings/HR-1', headers: bearer, rawBody: '' },
      deps,
    );
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET');
  });
});

describe('GET /onboardings', () => {
  const list = (
    deps: Parameters<typeof handleHttp>[1],
    query = '',
    headers: Record<string, string> = bearer,
  ) => handleHttp({ method: 'GET', path: '/onboardings', query, headers, rawBody: '' }, deps);

  it('answers a page of the ledger: each row with its status URL, and the next page as a cursor and a URL', async () => {
    const listing = fakeLister([
      {
        items: [
          requestItem('HR-2', {
            status: 'FAILED',
            userName: 'bob',
            profile: 'developers',
            attempt: 2,
            requestedBy: { channel: 'http-api', source: 'jira', auth: 'bearer' },
            stoppedAt: '2026-01-15T12:01:00.000Z',
            failure: { error: 'ExecutionAborted', message: 'stopped' },
          }),
        ],
        next: 'abc_-1',
      },
    ]);
    const { deps, logged } = apiDeps({ lister: listing.lister });
    const response = await list(deps, 'status=rolled-back&limit=1');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(listing.queries).toEqual([{ status: 'rolled back', limit: 1 }]);
    expect(parse(response)).toEqual({
      onboardings: [
        {
          requestId: 'HR-2',
          // Failed without our rollback report: nothing proves the rollback finished.
          status: 'rollback incomplete',
          userName: 'bob',
          profile: 'developers',
          requestedBy: { channel: 'http-api', source: 'jira', auth: 'bearer' },
          startedAt: new Date(NOW).toISOString(),
          stoppedAt: '2026-01-15T12:01:00.000Z',
          attempts: 2,
          executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-2',
          error: 'ExecutionAborted',
          statusUrl: 'https://api.example.com/onboardings/HR-2',
        },
      ],
      next: 'abc_-1',
      nextUrl: 'https://api.example.com/onboardings?status=rolled+back&limit=1&cursor=abc_-1',
    });
    expect(logged).toEqual([{ method: 'GET', route: 'GET /onboardings', status: 200, auth: 'bearer' }]);
  });

  it('passes the cursor on, and gives no `next` on the last page', async () => {
    const listing = fakeLister([{ items: [] }]);
    const { deps } = apiDeps({ lister: listing.lister });
    const response = await list(deps, 'cursor=abc');
    expect(parse(response)).toEqual({ onboardings: [] });
    expect(listing.queries).toEqual([{ cursor: 'abc' }]);
  });

  it('is authenticated like the other routes: a signature over the path and query, or the bearer token', async () => {
    const { deps, listing } = apiDeps();
    expect((await list(deps, 'limit=5', {})).status).toBe(401);
    expect((await list(deps, 'limit=5', { Authorization: 'Bearer wrong' })).status).toBe(401);
    // The signature covers the query: one made for another query is refused.
    expect((await list(deps, 'limit=5', signed('', 'GET', '/onboardings?limit=50'))).status).toBe(401);
    expect(listing.queries).toEqual([]);
    expect((await list(deps, 'limit=5', signed('', 'GET', '/onboardings?limit=5'))).status).toBe(200);
    expect(listing.queries).toEqual([{ limit: 5 }]);
  });

  it.each([
    ['status=done', 'status', /unknown status "done": use one of running, succeeded, rolled-back/],
    ['limit=0', 'limit', /"0" is not a page size: use a whole number from 1 to 100/],
    ['limit=500', 'limit', /from 1 to 100/],
    ['state=running', 'state', /unknown query parameter: use status, limit, cursor/],
    ['status=running&status=succeeded', 'status', /given more than once/],
  ])(
    'answers 400 to %s, naming the parameter and the fix, and lists nothing',
    async (query, path, message) => {
      const { deps, listing } = apiDeps();
      const response = await list(deps, query);
      expect(response.status).toBe(400);
      const body = parse(response) as { issues: { path: string; message: string }[] };
      expect(body.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
      expect(listing.queries).toEqual([]);
    },
  );

  it('answers 400 to a cursor the ledger refuses', async () => {
    const { deps } = apiDeps({
      lister: {
        list: async () => {
          const { decodeCursor } = await import('../../../src/ledger/list.ts');
          return { items: [], next: JSON.stringify(decodeCursor('bm9wZQ', undefined)) };
        },
      },
    });
    const response = await list(deps, 'cursor=bm9wZQ');
    expect(response.status).toBe(400);
    expect(parse(response)).toEqual({
      error: 'invalid cursor: it is not a `next` this listing gave; start again without a cursor',
      issues: [
        { path: 'cursor', message: 'it is not a `next` this listing gave; start again without a cursor' },
      ],
    });
  });

  it('answers 405 with both methods for another method on /onboardings', async () => {
    const { deps } = apiDeps();
    const del = await handleHttp(
      { method: 'DELETE', path: '/onboardings', headers: bearer, rawBody: '' },
      deps,
    );
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET, POST');
  });
});

describe('POST /onboardings/batch', () => {
  const batchOf = (n: number) =>
    JSON.stringify({ onboardings: Array.from({ length: n }, () => validRequest) });

  it('allows a body as large as its rows (50 x api.maxBodyBytes), 413 past it, before authenticating', async () => {
    const { deps, fake } = apiDeps();
    expect(bodyLimitOf('/onboardings/batch', deps.config)).toBe(50 * deps.config.api.maxBodyBytes);
    expect(bodyLimitOf('/onboardings/batch/?x=1', deps.config)).toBe(50 * deps.config.api.maxBodyBytes);
    expect(bodyLimitOf('/onboardings', deps.config)).toBe(deps.config.api.maxBodyBytes);
    const huge = 'x'.repeat(50 * deps.config.api.maxBodyBytes + 1);
    const response = await handleHttp(post(huge, {}, '/onboardings/batch'), deps);
    expect(response.status).toBe(413);
    expect(fake.started).toEqual([]);
  });

  it('refuses a duplicate row with 400 naming both fields of the repeated row, and starts nothing', async () => {
    const { deps, fake } = apiDeps();
    const response = await handleHttp(post(batchOf(2), bearer, '/onboardings/batch'), deps);
    expect(response.status).toBe(400);
    expect(parse(response).issues).toEqual([
      expect.objectContaining({ row: 2, requestId: 'HR-1', path: 'requestId' }),
      expect.objectContaining({ row: 2, requestId: 'HR-1', path: 'userName' }),
    ]);
    expect(fake.started).toEqual([]);
  });

  it('answers 405 to another method', async () => {
    const { deps } = apiDeps();
    const response = await handleHttp(
      { method: 'GET', path: '/onboardings/batch', headers: bearer, rawBody: '' },
      deps,
    );
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST');
  });
});
