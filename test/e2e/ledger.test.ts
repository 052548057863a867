import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/api/auth.ts';
import { PROJECT_ROOT } from '../../src/definition.ts';
import type { ExecutionOutcome } from '../../src/execution/outcome.ts';
import { describeServe, type Serve, startServe } from '../../src/local/serve.ts';
import { onboardInProcess } from './cli-helpers.ts';
import { bearer, config, executionCount, finalStatus, post, request, signed } from './serve-helpers.ts';

/**
 * The ledger through `onboard serve`: the HTTP API records the accepted request, the local notifier
 * its end, in dynalite, reached like DynamoDB through the exported AWS_ENDPOINT_URL_DYNAMODB; and with
 * a state file the record outlives the executions, so the status still answers after a restart.
 */

let dir: string;
const running: Serve[] = [];

const serveWith = async (stateFile?: string) => {
  const serve = await startServe({
    config,
    apiPort: 0,
    retryDelayMs: 1,
    ...(stateFile ? { stateFile } : {}),
  });
  running.push(serve);
  return serve;
};

/** The ledger as a DynamoDB client in another shell reads it: only the exported variables. */
async function scanLedger(serve: Serve) {
  const client = new DynamoDBClient({
    region: serve.exports.AWS_REGION,
    endpoint: serve.exports.AWS_ENDPOINT_URL_DYNAMODB,
    credentials: {
      accessKeyId: serve.exports.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: serve.exports.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
  try {
    const out = await client.send(new ScanCommand({ TableName: serve.exports.ONBOARDING_LEDGER_TABLE }));
    return out.Items ?? [];
  } finally {
    client.destroy();
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onboard-ledger-'));
});

afterEach(async () => {
  for (const serve of running.splice(0)) await serve.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the ledger behind the HTTP API', () => {
  it('records a signed request as the API accepted it, then its end, without a secret of the run', async () => {
    const serve = await serveWith();
    const body = JSON.stringify(request());
    expect((await post(serve, body, signed(serve, body))).status).toBe(202);
    const report = await finalStatus(serve, 'HR-500');
    expect(report.status).toBe('succeeded');
    await serve.stack.ledgerSettled();

    const items = await scanLedger(serve);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      pk: { S: 'REQUEST#HR-500' },
      sk: { S: 'REQUEST' },
      status: { S: 'SUCCEEDED' },
      userName: { S: 'katherine' },
      profile: { S: 'data-engineers' },
      group: { S: 'data-engineers' },
      executionArn: { S: report.executionArn },
      requestedBy: { M: { channel: { S: 'http-api' }, source: { S: 'generic' }, auth: { S: 'signature' } } },
    });
    const text = JSON.stringify(items);
    for (const secret of Object.values(serve.secrets)) expect(text).not.toContain(secret);
  });

  it('answers GET /onboardings/{id} from the ledger once Step Functions no longer has the execution', async () => {
    // Prepare: an onboarding on a stack that keeps its state, then a restart (executions are not kept).
    const stateFile = join(dir, 'state.json');
    const first = await serveWith(stateFile);
    const body = JSON.stringify(request({ requestId: 'HR-501' }));
    expect((await post(first, body, signed(first, body))).status).toBe(202);
    const before = await finalStatus(first, 'HR-501');
    await first.stop();

    // Act
    const second = await serveWith(stateFile);
    expect(await executionCount(second)).toBe(0);
    const response = await fetch(`${second.apiUrl}/onboardings/HR-501`, { headers: bearer(second) });

    // Assess: the same answer, without the timeline that was the history's.
    expect(response.status).toBe(200);
    const after = (await response.json()) as ExecutionOutcome;
    const { timeline, ...rest } = before;
    expect(timeline.length).toBeGreaterThan(0);
    expect(after).toEqual({ ...rest, timeline: [] });
    const unknown = await fetch(`${second.apiUrl}/onboardings/HR-404`, { headers: bearer(second) });
    expect(unknown.status).toBe(404);
  });
});

describe('onboard serve --state across a restart', () => {
  it("keeps the API's secrets: a ticketing system set up with them is still answered, not 401", async () => {
    const stateFile = join(dir, 'state.json');
    const first = await serveWith(stateFile);
    expect(first.secretsKept).toEqual([]);
    const secrets = { ...first.secrets };
    await first.stop();

    const second = await serveWith(stateFile);
    expect(second.secrets).toEqual(secrets);
    expect(second.secretsKept).toEqual(['webhookSecret', 'apiToken', 'callbackSecret']);
    expect(describeServe(second).join('\n')).toContain(`the ones ${stateFile} kept from the last run`);
    // Signed with the first run's secret, as the ticketing system still signs.
    const body = JSON.stringify(request({ requestId: 'HR-510', userName: 'kept.secret' }));
    const response = await post(second, body, {
      'x-onboarding-signature': signatureHeader(secrets.webhookSecret, {
        method: 'POST',
        path: '/onboardings',
        body,
      }),
    });
    expect(response.status).toBe(202);
    expect((await finalStatus(second, 'HR-510')).status).toBe('succeeded');
    const listed = await fetch(`${second.apiUrl}/onboardings/HR-510`, {
      headers: { authorization: `Bearer ${secrets.apiToken}` },
    });
    expect(listed.status).toBe(200);
  });

  it('makes new secrets without a state file, and takes the ones the environment gives', async () => {
    const a = await serveWith();
    const b = await startServe({
      config,
      apiPort: 0,
      retryDelayMs: 1,
      secrets: { apiToken: 'given-token-0123456789' },
    });
    running.push(b);
    expect(a.secretsKept).toEqual([]);
    expect(b.secrets.webhookSecret).not.toBe(a.secrets.webhookSecret);
    expect(b.secrets.apiToken).toBe('given-token-0123456789');
  });
});

describe('onboard start / onboard status and the ledger', () => {
  /** The CLI in-process, with the exports of `onboard serve`. */
  const run = (serve: Serve, args: string[]) => onboardInProcess(args, serve.exports);

  it('records who started a request from the CLI, and reads its status from the ledger after a restart', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await serveWith(stateFile);
    const started = await run(first, ['start', join(PROJECT_ROOT, 'examples', 'new-hire.json'), '--json']);
    expect(started.code).toBe(0);
    await finalStatus(first, 'HR-1042');
    await first.stack.ledgerSettled();
    const item = await first.stack.ledgerFor('test').get('HR-1042');
    expect(item).toMatchObject({
      status: 'SUCCEEDED',
      userName: 'ada.lovelace',
      requestedBy: { channel: 'cli', identity: expect.stringMatching(/^onboard start \(.+\)$/) },
    });
    await first.stop();

    const second = await serveWith(stateFile);
    const json = await run(second, ['status', 'HR-1042', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ requestId: 'HR-1042', status: 'succeeded', timeline: [] });
    const text = await run(second, ['status', 'HR-1042']);
    expect(text.out).toContain('from the ledger: Step Functions no longer has this execution');
    const unknown = await run(second, ['status', 'HR-9999']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain('no onboarding with request id HR-9999');
  });
});
