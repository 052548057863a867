import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import rawConfig from '../../../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig } from '../../../src/config.ts';
import { DynamoLedger } from '../../../src/ledger/dynamodb.ts';
import type { AcceptedEntry, EndedEntry } from '../../../src/ledger/items.ts';
import {
  decodeCursor,
  encodeCursor,
  InvalidListQueryError,
  LedgerLister,
  listedOf,
  parseLimit,
  parseStatusFilter,
} from '../../../src/ledger/list.ts';
import { ensureLedgerTable, ledgerTableInput } from '../../../src/ledger/table.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../src/local/ledger.ts';

/**
 * The ledger's listing against dynalite, on the table and indexes serverless.yml defines, written
 * through the ledger's own writes (so the `outcome` key the status index needs is the one they keep).
 */

const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
const ARN = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:iam-onboarding-test:${name}`;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;

let db: LocalDynamoDb;
let client: DynamoDBClient;
let ledger: DynamoLedger;
let lister: LedgerLister;
let tables = 0;
/** DynamoDB actions sent since the last reset, read from the wire. */
const sent: string[] = [];

beforeAll(async () => {
  db = await startLocalDynamoDb();
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: db.endpoint,
    credentials: { accessKeyId: 'local-unit', secretAccessKey: 'local-unit' },
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const target = (args.request as { headers?: Record<string, string> }).headers?.['x-amz-target'] ?? '';
      sent.push(target.slice(target.indexOf('.') + 1));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordTarget' },
  );
});

afterAll(async () => {
  client?.destroy();
  await db?.stop();
});

/** A fresh table per test, as serverless.yml defines it: each test lists only what it wrote. */
beforeEach(async () => {
  const input = await ledgerTableInput({
    config,
    accountId: '123456789012',
    region: 'us-east-1',
    stage: 'test',
  });
  const tableName = `${input.TableName}-${++tables}`;
  await ensureLedgerTable(client, { ...input, TableName: tableName });
  ledger = new DynamoLedger(client, tableName, () => new Date(T0 + 999 * MINUTE));
  lister = new LedgerLister(client, tableName);
  sent.length = 0;
});

const accept = (id: string, minute: number, over: Partial<AcceptedEntry> = {}) =>
  ledger.recordAccepted({
    requestId: id,
    executionArn: ARN(id),
    requestedBy: { channel: 'http-api', source: 'jira', auth: 'bearer' },
    access: {
      userName: `user-${id.toLowerCase()}`,
      profile: 'developers',
      policyArns: [],
      group: 'developers',
    },
    startedAt: new Date(T0 + minute * MINUTE),
    acceptedAt: new Date(T0 + minute * MINUTE + 5),
    ...over,
  });

const end = (id: string, minute: number, over: Partial<EndedEntry> = {}) =>
  ledger.recordEnded({
    requestId: id,
    executionArn: ARN(id),
    status: 'SUCCEEDED',
    startedAt: new Date(T0 + minute * MINUTE),
    stoppedAt: new Date(T0 + minute * MINUTE + 30_000),
    ...over,
  });

const rolledBack = {
  failedStep: 'CreateAccessKey',
  error: 'AccessDenied',
  message: 'no',
  rolledBack: [{ step: 'CreateUser', detail: 'undone' }],
  kept: [],
  leftBehind: [],
};
const incomplete = {
  ...rolledBack,
  error: 'RollbackIncomplete',
  leftBehind: [{ step: 'UndoCreateUser', error: 'AccessDenied', message: 'left' }],
};

const ids = (page: { items: { requestId: string }[] }) => page.items.map((i) => i.requestId);

describe('listing the ledger', () => {
  it('lists every request newest first, with status, who, profile, when and attempts', async () => {
    await accept('HR-1', 1);
    await end('HR-1', 1);
    await accept('HR-2', 2, { requestedBy: { channel: 'cli', identity: 'onboard start (ada)' } });
    await accept('HR-3', 3);
    await end('HR-3', 3, { status: 'FAILED', failure: rolledBack });
    sent.length = 0;

    const page = await lister.list();
    expect(ids(page)).toEqual(['HR-3', 'HR-2', 'HR-1']);
    expect(page.next).toBeUndefined();
    expect(page.items.map(listedOf)).toEqual([
      {
        requestId: 'HR-3',
        status: 'rolled back',
        userName: 'user-hr-3',
        profile: 'developers',
        group: 'developers',
        requestedBy: { channel: 'http-api', source: 'jira', auth: 'bearer' },
        startedAt: new Date(T0 + 3 * MINUTE).toISOString(),
        stoppedAt: new Date(T0 + 3 * MINUTE + 30_000).toISOString(),
        attempts: 1,
        executionArn: ARN('HR-3'),
        error: 'AccessDenied',
      },
      {
        requestId: 'HR-2',
        status: 'running',
        userName: 'user-hr-2',
        profile: 'developers',
        group: 'developers',
        requestedBy: { channel: 'cli', identity: 'onboard start (ada)' },
        startedAt: new Date(T0 + 2 * MINUTE).toISOString(),
        attempts: 1,
        executionArn: ARN('HR-2'),
      },
      expect.objectContaining({ requestId: 'HR-1', status: 'succeeded', attempts: 1 }),
    ]);
    // One Query of the time index: never a Scan.
    expect(sent).toEqual(['Query']);
  });

  it('filters by status on the status index, which follows each write (running, then how it ended)', async () => {
    await accept('S-1', 1);
    await accept('S-2', 2);
    await accept('S-3', 3);
    await accept('S-4', 4);
    expect(ids(await lister.list({ status: 'running' }))).toEqual(['S-4', 'S-3', 'S-2', 'S-1']);
    await end('S-1', 1);
    await end('S-2', 2, { status: 'FAILED', failure: rolledBack });
    await end('S-3', 3, { status: 'FAILED', failure: incomplete });
    sent.length = 0;
    expect(ids(await lister.list({ status: 'running' }))).toEqual(['S-4']);
    expect(ids(await lister.list({ status: 'succeeded' }))).toEqual(['S-1']);
    expect(ids(await lister.list({ status: 'rolled back' }))).toEqual(['S-2']);
    expect(ids(await lister.list({ status: 'rollback incomplete' }))).toEqual(['S-3']);
    expect(ids(await lister.list({ status: 'aborted' }))).toEqual([]);
    expect(sent.every((a) => a === 'Query')).toBe(true);
    // An acceptance replayed after the end lowers nothing: the request stays succeeded.
    await accept('S-1', 1);
    expect(ids(await lister.list({ status: 'succeeded' }))).toEqual(['S-1']);
    expect(ids(await lister.list({ status: 'running' }))).toEqual(['S-4']);
  });

  it('pages with an opaque cursor: every request exactly once, and no `next` after the last one', async () => {
    for (let i = 1; i <= 7; i++) await accept(`P-${i}`, i);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await lister.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...ids(page));
      sizes.push(page.items.length);
      cursor = page.next;
      if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(['P-7', 'P-6', 'P-5', 'P-4', 'P-3', 'P-2', 'P-1']);
    // A listing that ends exactly on a page boundary says so: no `next` leading to an empty page.
    const first = await lister.list({ limit: 7 });
    expect(first.items).toHaveLength(7);
    expect(first.next).toBeUndefined();
  });

  it('pages a status listing too, and refuses its cursor for another status or for the whole list', async () => {
    for (let i = 1; i <= 5; i++) {
      await accept(`F-${i}`, i);
      await end(`F-${i}`, i, i % 2 ? { status: 'FAILED', failure: rolledBack } : {});
    }
    const first = await lister.list({ status: 'rolled back', limit: 2 });
    expect(ids(first)).toEqual(['F-5', 'F-3']);
    const cursor = first.next ?? '';
    const second = await lister.list({ status: 'rolled back', limit: 2, cursor });
    expect(ids(second)).toEqual(['F-1']);
    expect(second.next).toBeUndefined();
    sent.length = 0;
    await expect(lister.list({ status: 'succeeded', cursor })).rejects.toThrow(
      /continues the listing of status rolled back, not of status succeeded: pass the same status/,
    );
    await expect(lister.list({ cursor })).rejects.toThrow(/not of every status/);
    // Refused before any call.
    expect(sent).toEqual([]);
  });

  it('puts a re-run (attempt 2) at the top, counting its attempts', async () => {
    await accept('R-1', 1);
    await end('R-1', 1, { status: 'FAILED', failure: rolledBack });
    await accept('R-2', 2);
    await ledger.recordAccepted({
      requestId: 'R-1',
      executionArn: ARN('R-1-2'),
      attempt: 2,
      previousAttempts: [],
      requestedBy: { channel: 'http-api', source: 'generic', auth: 'signature' },
      access: { userName: 'user-r-1', profile: 'developers', policyArns: [] },
      startedAt: new Date(T0 + 5 * MINUTE),
      acceptedAt: new Date(T0 + 5 * MINUTE),
    });
    const page = await lister.list();
    expect(page.items.map(listedOf).map((r) => [r.requestId, r.status, r.attempts])).toEqual([
      ['R-1', 'running', 2],
      ['R-2', 'running', 1],
    ]);
    expect(ids(await lister.list({ status: 'rolled back' }))).toEqual([]);
  });
});

describe('what the listing refuses', () => {
  it('refuses a cursor it did not give, before any call', async () => {
    const good = encodeCursor(undefined, {
      pk: 'REQUEST#HR-1',
      sk: 'REQUEST',
      itemType: 'request',
      startedAt: new Date(T0).toISOString(),
    });
    expect(decodeCursor(good, undefined)).toMatchObject({ pk: 'REQUEST#HR-1' });
    const forged = (key: Record<string, unknown>) =>
      Buffer.from(JSON.stringify({ v: 1, status: null, key })).toString('base64url');
    for (const cursor of [
      'not a cursor!',
      'x'.repeat(2000),
      Buffer.from('{').toString('base64url'),
      forged({ pk: 'REQUEST#HR-1', sk: 'REQUEST', itemType: 'request' }),
      forged({ pk: 'APPROVAL#HR-1', sk: 'REQUEST', itemType: 'request', startedAt: '2026-01-01T00:00:00Z' }),
      forged({ pk: 'REQUEST#HR-1', sk: 'APPROVAL', itemType: 'request', startedAt: '2026-01-01T00:00:00Z' }),
      forged({ pk: 'REQUEST#HR-1', sk: 'REQUEST', itemType: 'other', startedAt: '2026-01-01T00:00:00Z' }),
      forged({ pk: 'REQUEST#HR-1', sk: 'REQUEST', itemType: 'request', startedAt: 'yesterday' }),
      forged({ pk: { S: 'x' }, sk: 'REQUEST', itemType: 'request', startedAt: '2026-01-01T00:00:00Z' }),
    ]) {
      await expect(lister.list({ cursor }), cursor.slice(0, 40)).rejects.toBeInstanceOf(
        InvalidListQueryError,
      );
    }
    await expect(lister.list({ cursor: 'bm9wZQ' })).rejects.toThrow(
      'invalid cursor: it is not a `next` this listing gave; start again without a cursor',
    );
    expect(sent).toEqual([]);
  });

  it('reads a status however it is spelled, and refuses an unknown one naming the choices', () => {
    expect(parseStatusFilter('rolled-back')).toBe('rolled back');
    expect(parseStatusFilter('ROLLBACK_INCOMPLETE')).toBe('rollback incomplete');
    expect(parseStatusFilter(' timed out ')).toBe('timed out');
    expect(() => parseStatusFilter('suceeded')).toThrow(
      'invalid listing: status: unknown status "suceeded" (did you mean "succeeded"?): use one of running, succeeded, rolled-back, rollback-incomplete, aborted, timed-out',
    );
    expect(() => parseStatusFilter('FAILED')).toThrow(/unknown status "FAILED": use one of/);
  });

  it('takes a page size from 1 to 100 only', async () => {
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit('100')).toBe(100);
    for (const bad of ['0', '101', '-1', '2.5', 'ten', '', '1e2']) {
      expect(() => parseLimit(bad), bad).toThrow(/is not a page size: use a whole number from 1 to 100/);
    }
    await expect(lister.list({ limit: 0 })).rejects.toBeInstanceOf(InvalidListQueryError);
    expect(sent).toEqual([]);
  });
});

describe('the listing indexes on a table kept from before', () => {
  it('refuses a ledger table without them, naming the index and the fix', async () => {
    const input = await ledgerTableInput({
      config,
      accountId: '123456789012',
      region: 'us-east-1',
      stage: 'test',
    });
    const old = { ...input, TableName: 'iam-onboarding-old-ledger' };
    const { GlobalSecondaryIndexes: _, ...withoutIndexes } = old;
    await client.send(
      new CreateTableCommand({
        ...withoutIndexes,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
      }),
    );
    await expect(ensureLedgerTable(client, old)).rejects.toThrow(
      /the ledger table iam-onboarding-old-ledger has no index byTime, byOutcome \(it was created by an older version of onboard\): add them as serverless.yml's OnboardingLedgerTable defines them/,
    );
  });
});
