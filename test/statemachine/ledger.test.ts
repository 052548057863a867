import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { startEmulator } from '@iam-onboarding/aws-emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEDGER_RESOURCE } from '../../src/ledger/items.ts';
import { ledgerTableInput } from '../../src/ledger/table.ts';
import { startLocalDynamoDb } from '../../src/local/ledger.ts';
import { openStack, type Stack } from '../../src/local/stack.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { config, onboard, openTestStack, secretValue, TEST_TIMING } from '../helpers/local-stack.ts';

/**
 * The ledger on the embedded stack: each local run records its request when it starts and its end
 * when it ends (as the HTTP API and the notifier do when deployed), in a table made from serverless.yml.
 */

const request = (over: Record<string, unknown> = {}) => ({
  requestId: 'HR-300',
  userName: 'katherine',
  // The ElastiCache developer: a group with AmazonElastiCacheFullAccess, the service-linked role, a key.
  profile: 'elasticache-developer',
  policyArns: ['arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess'],
  // A loopback host: the local stage's callback hosts (the run itself sends no callback).
  contact: {
    callbackUrl: 'http://127.0.0.1:9/hooks/HR-300?token=local-ticket-token',
    recipient: TEST_HIRE_RECIPIENT,
  },
  ...over,
});

let stack: Stack;

beforeEach(async () => {
  stack = await openTestStack();
});

afterEach(async () => {
  await stack.close();
});

/** Every item of the ledger, as DynamoDB returns them (the raw wire form, nothing filtered). */
async function everyItem(): Promise<string> {
  const out = await stack
    .clients('test')
    .dynamodb.send(new ScanCommand({ TableName: stack.ledgerTable.tableName, ConsistentRead: true }));
  return JSON.stringify(out.Items ?? []);
}

describe('the ledger on the local stack', () => {
  it("is the table serverless.yml defines for the stage 'local'", async () => {
    const input = await ledgerTableInput({
      config,
      accountId: stack.accountId,
      region: stack.region,
      stage: 'local',
    });
    expect(stack.ledgerTable.tableName).toBe(input.TableName);
    expect(stack.ledgerTable.tableName).toBe('iam-onboarding-local-ledger');
    expect(stack.env.ONBOARDING_LEDGER_TABLE).toBe(input.TableName);
    expect(stack.env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(LEDGER_RESOURCE).toBe('OnboardingLedgerTable');
  });

  it('records a run: who asked, what for, its execution, the final status and what it created', async () => {
    // Act
    const result = await onboard(stack, request());
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const item = await stack.ledgerFor('test').get('HR-300');
    const output = result.output as { created: { CreateUser: { userArn: string } } };
    expect(item).toMatchObject({
      pk: 'REQUEST#HR-300',
      sk: 'REQUEST',
      requestId: 'HR-300',
      executionArn: result.executionArn,
      status: 'SUCCEEDED',
      userName: 'katherine',
      profile: 'elasticache-developer',
      group: 'elasticache-developers',
      privileged: false,
      policyArns: ['arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess'],
      requestedBy: { channel: 'cli', identity: 'onboard run' },
      created: output.created,
      statusAt: result.stoppedAt,
      stoppedAt: new Date(result.stoppedAt).toISOString(),
    });
    expect(item?.created?.CreateUser?.userArn).toMatch(/:user\/onboarded\/katherine$/);
    expect(Date.parse(item?.acceptedAt ?? '')).toBeLessThanOrEqual(result.stoppedAt);
  });

  it('keeps no secret: not the access key secret of the run, nor the callback URL with its token', async () => {
    // data-engineers keep their key in their own secret: the ledger must not copy it from there.
    const result = await onboard(
      stack,
      request({ requestId: 'HR-302', userName: 'dorothy', profile: 'data-engineers', policyArns: [] }),
    );
    const created = (
      result.output as { created: { CreateAccessKey: { secretArn: string; accessKeyId: string } } }
    ).created.CreateAccessKey;
    // The stored secret, read back as the operator: the access key's secret half is in it.
    const stored = JSON.parse(await secretValue(stack, created.secretArn)) as Record<string, string>;
    const secretValues = Object.values(stored).filter((v) => v !== created.accessKeyId && v.length >= 16);
    expect(secretValues.length).toBeGreaterThan(0);
    const items = await everyItem();
    // The references are there (a search that finds nothing proves nothing).
    expect(items).toContain(created.accessKeyId);
    expect(items).toContain(created.secretArn);
    for (const value of secretValues) expect(items).not.toContain(value);
    expect(items).not.toContain('local-ticket-token');
    expect(items).not.toContain('callbackUrl');
  });

  it('records a rolled-back run as FAILED with its report and nothing created', async () => {
    const result = await onboard(stack, request({ requestId: 'HR-301' }), {
      faults: [{ action: 'CreateAccessKey', kind: 'error', error: 'AccessDenied', count: 'always' }],
    });
    expect(result.status).toBe('FAILED');
    const item = await stack.ledgerFor('test').get('HR-301');
    expect(item).toMatchObject({
      status: 'FAILED',
      failure: { failedStep: 'CreateAccessKey', error: 'AccessDenied' },
    });
    expect(item?.created).toBeUndefined();
  });

  it('keeps one record per request id, each with its own status', async () => {
    await onboard(stack, request({ requestId: 'HR-302', userName: 'dorothy' }));
    await onboard(stack, request({ requestId: 'HR-303', userName: 'mary' }), {
      faults: [{ action: 'CreateUser', kind: 'error', error: 'AccessDenied', count: 'always' }],
    });
    const items = JSON.parse(await everyItem()) as { pk: { S: string }; status: { S: string } }[];
    expect(items.map((i) => [i.pk.S, i.status.S]).sort()).toEqual([
      ['REQUEST#HR-302', 'SUCCEEDED'],
      ['REQUEST#HR-303', 'FAILED'],
    ]);
  });
});

describe('the ledger on configured endpoints', () => {
  it('uses the DynamoDB that AWS_ENDPOINT_URL_DYNAMODB names, creating the table once and keeping it across runs', async () => {
    // Prepare: IAM, Secrets Manager and STS on an emulator, DynamoDB on a dynalite of the test's own.
    // Nobody deployed the boundaries into that account: each run fails at Plan, and is recorded so.
    const [emulator, dynamo] = await Promise.all([startEmulator(), startLocalDynamoDb()]);
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_IAM: emulator.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: emulator.endpoint,
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    };
    const reader = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'local-reader', secretAccessKey: 'local-reader' },
    });
    try {
      // Act: two stacks one after the other, as two `onboard run`s against the same endpoints.
      for (const [requestId, userName] of [
        ['HR-310', 'annie'],
        ['HR-311', 'evelyn'],
      ] as const) {
        const configured = await openStack({ config, env, timing: TEST_TIMING });
        try {
          expect(configured.mode).toBe('endpoints');
          expect(configured.ledgerTable.endpoint).toBe(dynamo.endpoint);
          const result = await onboard(configured, request({ requestId, userName }));
          expect(result.status).toBe('FAILED');
          expect(result.error).toBe('PolicyNotFound');
        } finally {
          await configured.close();
        }
      }

      // Assess: one table, both requests in it with their failure, still there after the stacks closed.
      expect((await reader.send(new ListTablesCommand({}))).TableNames).toEqual([
        'iam-onboarding-local-ledger',
      ]);
      const items = await reader.send(
        new ScanCommand({ TableName: 'iam-onboarding-local-ledger', ConsistentRead: true }),
      );
      expect(
        items.Items?.map((i) => [i.pk?.S, i.status?.S, i.failure?.M?.failedStep?.S, i.userName?.S]).sort(),
      ).toEqual([
        ['REQUEST#HR-310', 'FAILED', 'Plan', 'annie'],
        ['REQUEST#HR-311', 'FAILED', 'Plan', 'evelyn'],
      ]);
    } finally {
      reader.destroy();
      await Promise.all([emulator.stop(), dynamo.stop()]);
    }
  });
});
