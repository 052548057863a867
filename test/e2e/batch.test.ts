import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/definition.ts';
import { type Serve, startServe } from '../../src/local/serve.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { readAccount } from '../helpers/account.ts';
import { onboardInProcess } from './cli-helpers.ts';
import { bearer, config, executionCount, finalStatus, post, request, signed } from './serve-helpers.ts';

/**
 * Batches, all or nothing up front: `POST /onboardings/batch` on `onboard serve`, and
 * `onboard run roster.csv|roster.json` on the embedded stack. A batch with a bad row starts nothing
 * and changes nothing in the account (read as a whole); a good batch of three onboards all three.
 */

const operator = { accessKeyId: 'local-emulator', secretAccessKey: 'test' };

async function accountOf(serve: Serve) {
  const iam = new IAMClient({
    region: 'us-east-1',
    endpoint: serve.awsEndpoint,
    credentials: operator,
    maxAttempts: 1,
  });
  const sm = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: serve.awsEndpoint,
    credentials: operator,
    maxAttempts: 1,
  });
  try {
    return await readAccount(iam, sm);
  } finally {
    iam.destroy();
    sm.destroy();
  }
}

describe('POST /onboardings/batch', () => {
  let serve: Serve;
  beforeEach(async () => {
    serve = await startServe({ config, apiPort: 0, retryDelayMs: 1 });
  });
  afterEach(async () => {
    await serve.stop();
  });

  const batch = (rows: unknown[]) => JSON.stringify({ onboardings: rows });
  const postBatch = (
    body: string,
    headers: Record<string, string> = signed(serve, body, undefined, '/onboardings/batch'),
  ) => post(serve, body, headers, '/onboardings/batch');

  it('refuses a batch with bad rows as a whole - 400 naming each row, field and fix - and creates nothing', async () => {
    const before = await accountOf(serve);
    const body = batch([
      request({ requestId: 'B-1', userName: 'batch.one' }),
      request({ requestId: 'B-2', userName: 'bad name!' }),
      request({ requestId: 'B-3', userName: 'batch.three', profile: 'wizards' }),
      request({ requestId: 'B-1', userName: 'batch.four' }),
    ]);
    const response = await postBatch(body);
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string; issues: Record<string, unknown>[] };
    expect(answer.error.split('\n')[0]).toBe('invalid batch: 3 rows refused, nothing was started');
    expect(answer.issues.map((i) => [i.row, i.requestId, i.path])).toEqual([
      [2, 'B-2', 'userName'],
      [3, 'B-3', 'profile'],
      [4, 'B-1', 'requestId'],
    ]);
    expect(answer.issues[1]?.message).toMatch(/profile "wizards" is not in the configuration's profiles/);
    // Nothing started, nothing recorded, nothing in the account changed - row 1 was good, and is not run either.
    expect(await executionCount(serve)).toBe(0);
    const listed = (await (
      await fetch(`${serve.apiUrl}/onboardings`, { headers: bearer(serve) })
    ).json()) as {
      onboardings: unknown[];
    };
    expect(listed.onboardings).toEqual([]);
    expect(await accountOf(serve)).toEqual(before);
  });

  it('starts a good batch of three through the single start path, each with its status URL, and one summary', async () => {
    const body = batch([
      request({ requestId: 'B-10', userName: 'batch.ten' }),
      request({ requestId: 'B-11', userName: 'batch.eleven' }),
      request({ requestId: 'B-12', userName: 'batch.twelve' }),
    ]);
    const response = await postBatch(body);
    expect(response.status).toBe(202);
    const answer = (await response.json()) as {
      summary: Record<string, number>;
      onboardings: { row: number; requestId: string; result: string; statusUrl: string }[];
    };
    expect(answer.summary).toEqual({ rows: 3, started: 3, alreadyStarted: 0, refused: 0 });
    expect(answer.onboardings.map((r) => [r.row, r.requestId, r.result])).toEqual([
      [1, 'B-10', 'started'],
      [2, 'B-11', 'started'],
      [3, 'B-12', 'started'],
    ]);
    for (const id of ['B-10', 'B-11', 'B-12'])
      expect((await finalStatus(serve, id)).status).toBe('succeeded');
    await serve.stack.ledgerSettled();
    const account = await accountOf(serve);
    expect(Object.keys(account.users).sort()).toEqual(['batch.eleven', 'batch.ten', 'batch.twelve']);
    expect(account.groups['data-engineers']?.members.sort()).toEqual([
      'batch.eleven',
      'batch.ten',
      'batch.twelve',
    ]);

    // The same batch again starts nothing new (idempotent by request id), and says so per row.
    const again = await postBatch(body, bearer(serve));
    expect(again.status).toBe(202);
    expect(((await again.json()) as { summary: unknown }).summary).toEqual({
      rows: 3,
      started: 0,
      alreadyStarted: 3,
      refused: 0,
    });
    expect(await executionCount(serve)).toBe(3);
  });

  it('reports a row whose request id another request holds in its row (207), the others started', async () => {
    const first = JSON.stringify(request({ requestId: 'B-20', userName: 'batch.twenty' }));
    expect((await post(serve, first, signed(serve, first))).status).toBe(202);
    const body = batch([
      request({ requestId: 'B-20', userName: 'someone.else' }),
      request({ requestId: 'B-21', userName: 'batch.twentyone' }),
    ]);
    const response = await postBatch(body);
    expect(response.status).toBe(207);
    const answer = (await response.json()) as { summary: unknown; onboardings: Record<string, unknown>[] };
    expect(answer.summary).toEqual({ rows: 2, started: 1, alreadyStarted: 0, refused: 1 });
    expect(answer.onboardings[0]).toMatchObject({
      row: 1,
      result: 'refused',
      error: 'request id B-20 was already used with a different request',
    });
    expect(answer.onboardings[1]).toMatchObject({ row: 2, requestId: 'B-21', result: 'started' });
    expect((await finalStatus(serve, 'B-21')).status).toBe('succeeded');
  });

  it('is authenticated like the other routes', async () => {
    const body = batch([request({ requestId: 'B-30', userName: 'batch.thirty' })]);
    expect((await postBatch(body, {})).status).toBe(401);
    // A signature made for POST /onboardings does not start a batch.
    expect((await postBatch(body, signed(serve, body))).status).toBe(401);
    expect(await executionCount(serve)).toBe(0);
  });
});

describe('onboard run roster.csv|roster.json', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'onboard-batch-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  /** A shell without AWS or ONBOARDING variables: the embedded stack. */
  const shell = () =>
    Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => /^(AWS_|ONBOARDING_|POWERTOOLS_)/.test(k))
        .map((k) => [k, undefined]),
    );
  const header = 'requestId,userName,profile,contact.recipient';

  it('refuses a roster with a bad row before any stack starts: exit 2, each bad row and field named', async () => {
    const roster = join(dir, 'bad.csv');
    await writeFile(
      roster,
      [
        header,
        `R-1,roster.one,developers,${TEST_HIRE_RECIPIENT}`,
        `R-2,roster two,developers,${TEST_HIRE_RECIPIENT}`,
        `R-3,roster.three,developrs,${TEST_HIRE_RECIPIENT}`,
      ].join('\n'),
    );
    const { code, out } = await onboardInProcess(['run', roster], shell());
    expect(code).toBe(2);
    const lines = out.split('\n');
    expect(lines[0]).toBe('onboard: invalid batch: 2 rows refused, nothing was started');
    expect(lines[1]).toMatch(/^ {2}row 2 \(R-2\): userName: /);
    expect(lines[2]).toMatch(
      /^ {2}row 3 \(R-3\): profile: profile "developrs" is not in .* \(did you mean "developers"\?\)/,
    );
    expect(out).not.toMatch(/Onboarding a batch/);

    const json = await onboardInProcess(['run', roster, '--json'], shell());
    expect(json.code).toBe(2);
    const error = (JSON.parse(json.out) as { error: { name: string; issues: { row: number }[] } }).error;
    expect(error.name).toBe('InvalidBatch');
    expect(error.issues.map((i) => i.row)).toEqual([2, 3]);
  });

  it('runs a good roster of three on one stack (examples/roster.csv): a progress line per row, then one summary', async () => {
    const roster = join(PROJECT_ROOT, 'examples', 'roster.csv');
    const { code, out } = await onboardInProcess(['run', roster, '--fast-retries'], shell());
    expect(code, out).toBe(0);
    const progress = out.split('\n').filter((l) => /^ {2}\[\d\/3\]/.test(l));
    expect(progress).toEqual([
      expect.stringMatching(/^ {2}\[1\/3\] HR-2001 grace\.hopper \(data-engineers\): succeeded in /),
      expect.stringMatching(/^ {2}\[2\/3\] HR-2002 alan\.turing \(developers\): succeeded in /),
      expect.stringMatching(/^ {2}\[3\/3\] HR-2003 katherine\.johnson \(developers\): succeeded in /),
    ]);
    expect(out).toMatch(/\n3 onboardings: 3 succeeded$/);
  });

  it('takes a JSON roster too, and prints the summary and each outcome under --json', async () => {
    const roster = join(dir, 'good.json');
    await writeFile(
      roster,
      JSON.stringify([
        request({ requestId: 'R-20', userName: 'roster.twenty' }),
        request({ requestId: 'R-21', userName: 'roster.twentyone' }),
      ]),
    );
    const { code, out } = await onboardInProcess(['run', roster, '--json', '--fast-retries'], shell());
    expect(code, out).toBe(0);
    const printed = JSON.parse(out) as {
      summary: unknown;
      onboardings: { requestId: string; status: string }[];
    };
    expect(printed.summary).toEqual({ rows: 2, succeeded: 2 });
    expect(printed.onboardings.map((o) => [o.requestId, o.status])).toEqual([
      ['R-20', 'succeeded'],
      ['R-21', 'succeeded'],
    ]);
  });
});
