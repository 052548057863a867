import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Serve, startServe } from '../../src/local/serve.ts';
import { onboardInProcess } from './cli-helpers.ts';
import { bearer, config, finalStatus, post, request, signed } from './serve-helpers.ts';

/**
 * `GET /onboardings` and `onboard list` on `onboard serve`: several requests through the HTTP API
 * (succeeded, rolled back, one still running), listed newest first from the ledger's indexes in
 * dynalite, filtered by status, and paged with the `next` cursor until every request was seen once.
 */

interface Row {
  requestId: string;
  status: string;
  userName: string;
  profile: string;
  requestedBy: Record<string, string>;
  startedAt: string;
  attempts: number;
  statusUrl?: string;
  error?: string;
}
interface Page {
  onboardings: Row[];
  next?: string;
  nextUrl?: string;
}

let serve: Serve;
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => {
  release = resolve;
});
let reachedHold: () => void = () => undefined;
const holding = new Promise<void>((resolve) => {
  reachedHold = resolve;
});

async function start(requestId: string, userName: string) {
  const body = JSON.stringify(request({ requestId, userName }));
  const response = await post(serve, body, signed(serve, body));
  expect(response.status, await response.clone().text()).toBe(202);
}

beforeAll(async () => {
  serve = await startServe({
    config,
    apiPort: 0,
    retryDelayMs: 1,
    // LIST-5 stays running until the tests are done.
    beforeTask: async (state, input) => {
      if (state === 'CreateUser' && JSON.stringify(input).includes('"LIST-5"')) {
        reachedHold();
        await held;
      }
    },
  });
  await start('LIST-1', 'list.one');
  expect((await finalStatus(serve, 'LIST-1')).status).toBe('succeeded');
  // An access key AWS refuses for good: LIST-2 rolls back.
  serve.stack.emulator?.faults.add({
    action: 'CreateAccessKey',
    kind: 'error',
    error: 'AccessDenied',
    count: 'always',
  });
  await start('LIST-2', 'list.two');
  expect((await finalStatus(serve, 'LIST-2')).status).toBe('rolled back');
  serve.stack.emulator?.faults.clear();
  await start('LIST-3', 'list.three');
  expect((await finalStatus(serve, 'LIST-3')).status).toBe('succeeded');
  await start('LIST-4', 'list.four');
  expect((await finalStatus(serve, 'LIST-4')).status).toBe('succeeded');
  await start('LIST-5', 'list.five');
  await holding;
  await serve.stack.ledgerSettled();
});

afterAll(async () => {
  release();
  await serve?.stop();
});

async function get(pathAndQuery: string, headers: Record<string, string> = bearer(serve)) {
  return fetch(`${serve.apiUrl}${pathAndQuery}`, { headers });
}

async function page(pathAndQuery: string): Promise<Page> {
  const response = await get(pathAndQuery);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Page;
}

const idsOf = (p: Page) => p.onboardings.map((r) => r.requestId);

describe('GET /onboardings', () => {
  it('lists every request newest first, with status, who, profile, when and attempts', async () => {
    const all = await page('/onboardings');
    expect(idsOf(all)).toEqual(['LIST-5', 'LIST-4', 'LIST-3', 'LIST-2', 'LIST-1']);
    expect(all.next).toBeUndefined();
    expect(all.onboardings.map((r) => [r.requestId, r.status])).toEqual([
      ['LIST-5', 'running'],
      ['LIST-4', 'succeeded'],
      ['LIST-3', 'succeeded'],
      ['LIST-2', 'rolled back'],
      ['LIST-1', 'succeeded'],
    ]);
    expect(all.onboardings[3]).toMatchObject({
      requestId: 'LIST-2',
      userName: 'list.two',
      profile: 'data-engineers',
      requestedBy: { channel: 'http-api', source: 'generic', auth: 'signature' },
      attempts: 1,
      error: 'AccessDenied',
      statusUrl: `${serve.apiUrl}/onboardings/LIST-2`,
    });
    const times = all.onboardings.map((r) => Date.parse(r.startedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // A status URL answers that request's own status.
    const status = (await (await get('/onboardings/LIST-2')).json()) as { status: string };
    expect(status.status).toBe('rolled back');
  });

  it('filters by status', async () => {
    expect(idsOf(await page('/onboardings?status=succeeded'))).toEqual(['LIST-4', 'LIST-3', 'LIST-1']);
    expect(idsOf(await page('/onboardings?status=rolled-back'))).toEqual(['LIST-2']);
    expect(idsOf(await page('/onboardings?status=running'))).toEqual(['LIST-5']);
    expect(idsOf(await page('/onboardings?status=rollback%20incomplete'))).toEqual([]);
  });

  it('pages through every request exactly once by following nextUrl, signed as well as by token', async () => {
    const seen: string[] = [];
    let url: string | undefined = `${serve.apiUrl}/onboardings?limit=2`;
    let pages = 0;
    while (url) {
      const target = url.slice(serve.apiUrl.length);
      // The signature covers the path and the query exactly as sent.
      const headers = pages % 2 ? signed(serve, '', undefined, target, 'GET') : bearer(serve);
      const response = await get(target, headers);
      expect(response.status).toBe(200);
      const p = (await response.json()) as Page;
      expect(p.onboardings.length).toBeLessThanOrEqual(2);
      seen.push(...idsOf(p));
      url = p.nextUrl;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['LIST-5', 'LIST-4', 'LIST-3', 'LIST-2', 'LIST-1']);
    // Within one status, too.
    const first = await page('/onboardings?status=succeeded&limit=2');
    expect(idsOf(first)).toEqual(['LIST-4', 'LIST-3']);
    const second = await page(`/onboardings?status=succeeded&limit=2&cursor=${first.next}`);
    expect(idsOf(second)).toEqual(['LIST-1']);
    expect(second.next).toBeUndefined();
  });

  it('refuses a bad status, page size or cursor with 400 naming the fix, and an unauthenticated caller with 401', async () => {
    const bad = await get('/onboardings?status=done');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: unknown[] }).issues).toEqual([
      {
        path: 'status',
        message:
          'unknown status "done": use one of running, succeeded, rolled-back, rollback-incomplete, aborted, timed-out',
      },
    ]);
    expect((await get('/onboardings?limit=1000')).status).toBe(400);
    const first = await page('/onboardings?status=succeeded&limit=1');
    const crossed = await get(`/onboardings?status=running&cursor=${first.next}`);
    expect(crossed.status).toBe(400);
    expect(((await crossed.json()) as { error: string }).error).toMatch(
      /continues the listing of status succeeded, not of status running/,
    );
    expect((await get('/onboardings?cursor=garbage')).status).toBe(400);
    expect((await get('/onboardings', {})).status).toBe(401);
    expect((await get('/onboardings', { authorization: 'Bearer nope' })).status).toBe(401);
  });
});

describe('onboard list', () => {
  it('prints the same rows as JSON from the ledger `onboard serve` exports', async () => {
    const { code, out } = await onboardInProcess(['list', '--json'], serve.exports);
    expect(code).toBe(0);
    const printed = JSON.parse(out) as Page;
    const api = await page('/onboardings');
    // The API's rows carry their status URL besides.
    expect(printed.onboardings).toEqual(api.onboardings.map(({ statusUrl: _, ...row }) => row));
  });

  it('prints a table and the command for the next page, which continues where it stopped', async () => {
    const first = await onboardInProcess(['list', '--status', 'succeeded', '--limit', '2'], serve.exports);
    expect(first.code).toBe(0);
    const lines = first.out.split('\n');
    expect(lines[0]).toMatch(/^REQUEST\s+STATUS\s+USER\s+PROFILE\s+STARTED\s+ATTEMPTS\s+REQUESTED BY$/);
    expect(lines[1]).toMatch(
      /^LIST-4\s+succeeded\s+list\.four\s+data-engineers\s+\S+Z\s+1\s+generic via the HTTP API \(signature\)$/,
    );
    expect(lines[2]).toMatch(/^LIST-3\s+succeeded/);
    const more = /^more: onboard list --status succeeded --limit 2 --cursor ([A-Za-z0-9_-]+)$/.exec(
      lines[3] ?? '',
    );
    expect(more, first.out).not.toBeNull();
    const next = await onboardInProcess(
      ['list', '--status', 'succeeded', '--limit', '2', '--cursor', more?.[1] ?? ''],
      serve.exports,
    );
    expect(next.code).toBe(0);
    expect(next.out.split('\n').slice(1)).toEqual([expect.stringMatching(/^LIST-1\s+succeeded/)]);
  });

  it('refuses a bad flag before reading anything (exit 2), as JSON under --json', async () => {
    const bad = await onboardInProcess(['list', '--status', 'sucseeded', '--json'], serve.exports);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.out)).toEqual({
      error: {
        name: 'InvalidListQuery',
        message: expect.stringContaining('unknown status "sucseeded" (did you mean "succeeded"?)'),
        issues: [{ path: '--status', message: expect.stringContaining('use one of running, succeeded') }],
      },
    });
    const limit = await onboardInProcess(['list', '--limit', '0'], serve.exports);
    expect(limit.code).toBe(2);
    expect(limit.out).toMatch(/--limit: "0" is not a page size: use a whole number from 1 to 100/);
    const noLedger = await onboardInProcess(['list', '--json'], {
      ...serve.exports,
      ONBOARDING_LEDGER_TABLE: undefined,
    });
    expect(noLedger.code).toBe(2);
    expect((JSON.parse(noLedger.out) as { error: { message: string } }).error.message).toMatch(
      /^which ledger\? Set ONBOARDING_LEDGER_TABLE/,
    );
  });
});
