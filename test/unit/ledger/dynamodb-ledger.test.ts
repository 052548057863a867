import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rawConfig from '../../../config/onboarding.json' with { type: 'json' };
import { HTTP_API_CALLS } from '../../../src/api/lambda.ts';
import { parseOnboardingConfig } from '../../../src/config.ts';
import { DynamoLedger } from '../../../src/ledger/dynamodb.ts';
import {
  type AcceptedEntry,
  type EndedEntry,
  endedEntryOf,
  LedgerConflictError,
  REQUEST_SK,
  requestPk,
} from '../../../src/ledger/items.ts';
import { LedgerLister } from '../../../src/ledger/list.ts';
import { createTableInputOf, ensureLedgerTable, ledgerTableInput } from '../../../src/ledger/table.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../src/local/ledger.ts';
import { NOTIFIER_CALLS } from '../../../src/notifier/lambda.ts';

/**
 * The ledger module against dynalite (a DynamoDB implementation on loopback, in memory): the table as
 * serverless.yml defines it, and the conditional writes that keep a replayed or late write from
 * lowering a status.
 */

const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
const ARN = (id: string) => `arn:aws:states:us-east-1:123456789012:execution:iam-onboarding-test:${id}`;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

let db: LocalDynamoDb;
let client: DynamoDBClient;
let ledger: DynamoLedger;
let tableName: string;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: db.endpoint,
    credentials: { accessKeyId: 'local-unit', secretAccessKey: 'local-unit' },
  });
  const input = await ledgerTableInput({
    config,
    accountId: '123456789012',
    region: 'us-east-1',
    stage: 'test',
  });
  tableName = input.TableName ?? '';
  await ensureLedgerTable(client, input);
  ledger = new DynamoLedger(client, tableName, () => new Date(T0 + 60_000));
});

afterAll(async () => {
  client?.destroy();
  await db?.stop();
});

const accepted = (id: string, over: Partial<AcceptedEntry> = {}): AcceptedEntry => ({
  requestId: id,
  executionArn: ARN(id),
  requestedBy: { channel: 'http-api', source: 'jira', auth: 'signature' },
  access: {
    userName: 'ada',
    profile: 'developers',
    policyArns: ['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser'],
    group: 'developers',
    privileged: false,
  },
  startedAt: new Date(T0),
  acceptedAt: new Date(T0 + 5),
  ...over,
});

const ended = (id: string, over: Partial<EndedEntry> = {}): EndedEntry => ({
  requestId: id,
  executionArn: ARN(id),
  status: 'SUCCEEDED',
  startedAt: new Date(T0),
  stoppedAt: new Date(T0 + 9_000),
  created: { CreateUser: { userArn: 'arn:aws:iam::123456789012:user/onboarded/ada' } as never },
  ...over,
});

describe('the ledger table', () => {
  it('is created from serverless.yml: the stage in its name, request id partition, item sort key', async () => {
    const input = await ledgerTableInput({ config, accountId: '1', region: 'eu-west-1', stage: 'prod' });
    expect(input).toMatchObject({
      TableName: 'iam-onboarding-prod-ledger',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      SSESpecification: { Enabled: true },
      // The listing's two indexes, newest first by the latest attempt's start.
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTime',
          KeySchema: [
            { AttributeName: 'itemType', KeyType: 'HASH' },
            { AttributeName: 'startedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'byOutcome',
          KeySchema: [
            { AttributeName: 'outcome', KeyType: 'HASH' },
            { AttributeName: 'startedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('refuses a definition without keys, naming what is missing', () => {
    expect(() => createTableInputOf({ TableName: 'x' })).toThrow(/KeySchema and AttributeDefinitions/);
  });

  it('is left as it is when it exists already', async () => {
    const input = await ledgerTableInput({
      config,
      accountId: '123456789012',
      region: 'us-east-1',
      stage: 'test',
    });
    await expect(ensureLedgerTable(client, input)).resolves.toBeUndefined();
  });
});

describe('the ledger', () => {
  it('records an accepted request under REQUEST#<id> / REQUEST, with who asked and what for', async () => {
    // Prepare / Act
    const result = await ledger.recordAccepted(accepted('L-1'));
    // Assess
    expect(result).toEqual({ recorded: true });
    const item = await ledger.get('L-1');
    expect(item).toMatchObject({
      pk: requestPk('L-1'),
      sk: REQUEST_SK,
      itemType: 'request',
      requestId: 'L-1',
      executionArn: ARN('L-1'),
      status: 'RUNNING',
      statusAt: T0,
      userName: 'ada',
      profile: 'developers',
      group: 'developers',
      privileged: false,
      requestedBy: { channel: 'http-api', source: 'jira', auth: 'signature' },
      acceptedAt: new Date(T0 + 5).toISOString(),
    });
  });

  it('is idempotent: the same acceptance again changes nothing and says so', async () => {
    await ledger.recordAccepted(accepted('L-2'));
    const before = await ledger.get('L-2');
    const again = await ledger.recordAccepted(
      accepted('L-2', {
        requestedBy: { channel: 'cli', identity: 'someone-else' },
        acceptedAt: new Date(T0 + 99),
      }),
    );
    expect(again).toEqual({ recorded: false, reason: 'the acceptance is already recorded' });
    expect(await ledger.get('L-2')).toEqual(before);
  });

  it('records the end over the acceptance: status, stop, what was created', async () => {
    await ledger.recordAccepted(accepted('L-3'));
    expect(await ledger.recordEnded(ended('L-3'))).toEqual({ recorded: true });
    expect(await ledger.get('L-3')).toMatchObject({
      status: 'SUCCEEDED',
      statusAt: T0 + 9_000,
      stoppedAt: new Date(T0 + 9_000).toISOString(),
      created: { CreateUser: { userArn: 'arn:aws:iam::123456789012:user/onboarded/ada' } },
      requestedBy: { channel: 'http-api' },
    });
  });

  it('never lowers a status: an acceptance that arrives after the end keeps the end, and adds who asked', async () => {
    await ledger.recordEnded(ended('L-4', { access: accepted('L-4').access }));
    const result = await ledger.recordAccepted(accepted('L-4'));
    expect(result).toEqual({ recorded: true });
    expect(await ledger.get('L-4')).toMatchObject({
      status: 'SUCCEEDED',
      statusAt: T0 + 9_000,
      requestedBy: { channel: 'http-api', source: 'jira' },
      created: { CreateUser: {} },
    });
  });

  it('refuses a replayed older end over a newer one (a redrive that succeeded stays succeeded)', async () => {
    const failure = { error: 'AccessDenied', message: 'no' };
    await ledger.recordEnded(ended('L-5', { status: 'FAILED', created: undefined, failure }));
    // The redrive ends later and succeeds: it replaces the failure.
    expect(await ledger.recordEnded(ended('L-5', { stoppedAt: new Date(T0 + 60_000) }))).toEqual({
      recorded: true,
    });
    const replay = await ledger.recordEnded(ended('L-5', { status: 'FAILED', created: undefined, failure }));
    expect(replay).toEqual({
      recorded: false,
      reason: `a later status is recorded (SUCCEEDED at ${new Date(T0 + 60_000).toISOString()})`,
    });
    const item = await ledger.get('L-5');
    expect(item?.status).toBe('SUCCEEDED');
    expect(item?.failure).toBeUndefined();
  });

  it('is idempotent on a replayed end: the same end again is a no-op', async () => {
    await ledger.recordEnded(ended('L-6'));
    const before = await ledger.get('L-6');
    expect(await ledger.recordEnded(ended('L-6'))).toEqual({
      recorded: false,
      reason: 'this end is already recorded',
    });
    expect(await ledger.get('L-6')).toEqual(before);
  });

  it("refuses to write one execution's record into another's", async () => {
    await ledger.recordAccepted(accepted('L-7'));
    await expect(
      ledger.recordAccepted(accepted('L-7', { executionArn: `${ARN('L-7')}-other` })),
    ).rejects.toBeInstanceOf(LedgerConflictError);
    await expect(
      ledger.recordEnded(ended('L-7', { executionArn: `${ARN('L-7')}-other` })),
    ).rejects.toBeInstanceOf(LedgerConflictError);
    expect((await ledger.get('L-7'))?.status).toBe('RUNNING');
  });

  it('moves a re-run onto its new attempt, keeping the rolled-back one in previousAttempts', async () => {
    // Prepare: attempt 1 rolled back.
    await ledger.recordAccepted(accepted('L-18'));
    await ledger.recordEnded(
      ended('L-18', {
        status: 'FAILED',
        created: undefined,
        failure: { error: 'AccessDenied', message: 'x' },
      }),
    );
    const first = {
      attempt: 1,
      executionArn: ARN('L-18'),
      status: 'FAILED',
      startedAt: new Date(T0).toISOString(),
      stoppedAt: new Date(T0 + 9_000).toISOString(),
      error: 'AccessDenied',
    };
    const second = accepted('L-18', {
      executionArn: ARN('L-18-2'),
      attempt: 2,
      previousAttempts: [first],
      startedAt: new Date(T0 + 60_000),
      acceptedAt: new Date(T0 + 60_005),
    });
    // Act
    expect(await ledger.recordAccepted(second)).toEqual({ recorded: true });
    // Assess: the item is the new attempt's, running, without the old one's failure.
    const item = await ledger.get('L-18');
    expect(item).toMatchObject({ executionArn: ARN('L-18-2'), attempt: 2, status: 'RUNNING' });
    expect(item?.previousAttempts).toEqual([first]);
    expect(item?.failure).toBeUndefined();
    // A replay of the new acceptance changes nothing; a replay of the old one is refused, not an error.
    expect(await ledger.recordAccepted(second)).toMatchObject({ recorded: false });
    expect(await ledger.recordAccepted(accepted('L-18'))).toMatchObject({
      recorded: false,
      reason: 'a later attempt (2) is recorded',
    });
    // The old attempt's end arriving late is refused; the new one's end is recorded.
    expect(
      await ledger.recordEnded(ended('L-18', { status: 'FAILED', stoppedAt: new Date(T0 + 70_000) })),
    ).toMatchObject({ recorded: false, reason: 'a later attempt (2) is recorded' });
    const end2 = ended('L-18', {
      executionArn: ARN('L-18-2'),
      attempt: 2,
      startedAt: new Date(T0 + 60_000),
      stoppedAt: new Date(T0 + 69_000),
    });
    expect(await ledger.recordEnded(end2)).toEqual({ recorded: true });
    expect(await ledger.get('L-18')).toMatchObject({
      status: 'SUCCEEDED',
      attempt: 2,
      previousAttempts: [first],
    });
  });

  it("records a re-run's end that arrives before its acceptance, over the older attempt", async () => {
    await ledger.recordAccepted(accepted('L-19'));
    await ledger.recordEnded(ended('L-19', { status: 'FAILED', created: undefined }));
    const end2 = ended('L-19', {
      executionArn: ARN('L-19-2'),
      attempt: 2,
      startedAt: new Date(T0 + 60_000),
      stoppedAt: new Date(T0 + 69_000),
    });
    expect(await ledger.recordEnded(end2)).toEqual({ recorded: true });
    // The acceptance, later, fills in who asked and the earlier attempts, and keeps the end.
    await ledger.recordAccepted(
      accepted('L-19', {
        executionArn: ARN('L-19-2'),
        attempt: 2,
        previousAttempts: [{ attempt: 1, executionArn: ARN('L-19'), status: 'FAILED' }],
        startedAt: new Date(T0 + 60_000),
      }),
    );
    expect(await ledger.get('L-19')).toMatchObject({
      executionArn: ARN('L-19-2'),
      attempt: 2,
      status: 'SUCCEEDED',
      previousAttempts: [{ attempt: 1, executionArn: ARN('L-19'), status: 'FAILED' }],
    });
  });

  it('reads the request id and the attempt of a re-run from its input and name', () => {
    const entry = endedEntryOf({
      executionArn: ARN('HR-5-3'),
      name: 'HR-5-3',
      status: 'FAILED',
      input: JSON.stringify({ requestId: 'HR-5', userName: 'ada', profile: 'developers' }),
      startDate: T0,
      stopDate: T0 + 1,
    });
    expect(entry).toMatchObject({ requestId: 'HR-5', attempt: 3 });
    // Another ticket whose own id is HR-5-3 is its own first attempt.
    expect(
      endedEntryOf({
        executionArn: ARN('HR-5-3'),
        name: 'HR-5-3',
        status: 'FAILED',
        input: JSON.stringify({ requestId: 'HR-5-3', userName: 'ada', profile: 'developers' }),
      }),
    ).toMatchObject({ requestId: 'HR-5-3', attempt: 1 });
  });

  it('answers undefined for a request it never saw', async () => {
    expect(await ledger.get('NEVER-1')).toBeUndefined();
  });

  it('keeps only whitelisted references from an execution: no callback URL, no raw input or output', async () => {
    const entry = endedEntryOf({
      executionArn: ARN('L-8'),
      name: 'L-8',
      status: 'SUCCEEDED',
      startDate: T0,
      stopDate: T0 + 1_000,
      input: JSON.stringify({
        requestId: 'L-8',
        userName: 'bob',
        profile: 'developers',
        contact: { callbackUrl: 'https://tickets.example.com/hook?token=local-hook-token' },
      }),
      output: JSON.stringify({ created: { CreateUser: { userName: 'bob' } }, extra: 'local-not-kept' }),
    });
    expect(entry).toBeDefined();
    await ledger.recordEnded(entry as EndedEntry);
    const all = JSON.stringify(await client.send(new ScanCommand({ TableName: tableName })));
    expect(all).toContain('bob');
    expect(all).not.toContain('local-hook-token');
    expect(all).not.toContain('local-not-kept');
  });
});

describe('the calls the ledger makes', () => {
  /** The DynamoDB actions a client sent, read from the wire (X-Amz-Target), whatever the code calls them. */
  function recordingClient() {
    const sent: string[] = [];
    const recording = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: db.endpoint,
      credentials: { accessKeyId: 'local-unit', secretAccessKey: 'local-unit' },
    });
    recording.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
        const target = headers['x-amz-target'] ?? '';
        sent.push(`dynamodb:${target.slice(target.indexOf('.') + 1)}`);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordTarget' },
    );
    return { sent, recording };
  }
  const declaredDynamo = (calls: readonly { action: string }[]) =>
    [...new Set(calls.map((c) => c.action).filter((a) => a.startsWith('dynamodb:')))].sort();

  it('are exactly the ones the HTTP API declares (and its role grants): the acceptance, the read, the listing', async () => {
    const { sent, recording } = recordingClient();
    const api = new DynamoLedger(recording, tableName);
    await api.recordAccepted(accepted('C-1'));
    await api.recordAccepted(accepted('C-1'));
    await expect(api.recordAccepted(accepted('C-1', { executionArn: 'arn:other' }))).rejects.toThrow();
    await api.get('C-1');
    const lister = new LedgerLister(recording, tableName);
    const first = await lister.list({ limit: 1 });
    await lister.list({ limit: 1, ...(first.next ? { cursor: first.next } : {}) });
    await lister.list({ status: 'running' });
    recording.destroy();
    expect([...new Set(sent)].sort()).toEqual(declaredDynamo(HTTP_API_CALLS));
  });

  it('are exactly the ones the notifier declares (and its role grants): the end, and the read that explains a refused one', async () => {
    const { sent, recording } = recordingClient();
    const notifier = new DynamoLedger(recording, tableName);
    await notifier.recordEnded(ended('C-2'));
    await notifier.recordEnded(ended('C-2'));
    recording.destroy();
    expect([...new Set(sent)].sort()).toEqual(declaredDynamo(NOTIFIER_CALLS));
  });
});
