import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../../src/api/auth.ts';
import { handleHttp } from '../../../src/api/http.ts';
import { ThrottlingError } from '../../../src/errors.ts';
import type { RequestItem } from '../../../src/ledger/items.ts';
import { LedgerBackedStatusReader, outcomeFromLedger } from '../../../src/ledger/status.ts';
import { type DescribedExecution, makeNotifyHandler } from '../../../src/notifier/lambda.ts';
import type { ExecutionStatusChange } from '../../../src/notifier/notify.ts';
import { TEST_HIRE_RECIPIENT } from '../../fixtures/hire-key.ts';
import { API_TOKEN, apiDeps, config, fakeLedger, NOW, post, validRequest, WEBHOOK_SECRET } from './fakes.ts';

/** What the entry points write into the ledger, and when (the ledger itself: test/unit/ledger). */

const body = JSON.stringify(validRequest);
const signed = (raw: string, path = '/onboardings') => ({
  'X-Onboarding-Signature': signatureHeader(WEBHOOK_SECRET, { method: 'POST', path, body: raw }, NOW),
});
const bearer = { Authorization: `Bearer ${API_TOKEN}` };

describe('the HTTP API records accepted requests', () => {
  it('records who asked (channel, payload source, auth method), what for, and the execution', async () => {
    const { deps, ledger } = apiDeps();
    const response = await handleHttp(post(body, signed(body)), deps);
    expect(response.status).toBe(202);
    expect(ledger.accepted).toEqual([
      {
        requestId: 'HR-1',
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1',
        requestedBy: { channel: 'http-api', source: 'generic', auth: 'signature' },
        access: {
          userName: 'alice',
          profile: 'developers',
          policyArns: ['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser'],
          // What the profile meant at acceptance, from the configuration.
          group: 'developers',
          privileged: false,
        },
        startedAt: new Date(NOW),
        acceptedAt: new Date(NOW),
      },
    ]);
  });

  it('names the ticketing source of an adapted payload and the bearer method', async () => {
    const { deps, ledger } = apiDeps();
    const jira = JSON.stringify({
      issue: { key: 'JSM-7' },
      onboarding: { userName: 'jira.user', profile: 'developers', publicKey: TEST_HIRE_RECIPIENT },
    });
    const response = await handleHttp(post(jira, bearer, '/onboardings/jira'), deps);
    expect(response.status).toBe(202);
    expect(ledger.accepted.map((e) => [e.requestId, e.requestedBy])).toEqual([
      ['JSM-7', { channel: 'http-api', source: 'jira', auth: 'bearer' }],
    ]);
  });

  it('records nothing for a refused request, a conflict, or a start that failed', async () => {
    const { deps, ledger } = apiDeps();
    const bad = JSON.stringify({
      ...validRequest,
      policyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    });
    expect((await handleHttp(post(bad, signed(bad)), deps)).status).toBe(403);
    expect((await handleHttp(post(body, {}), deps)).status).toBe(401);
    await handleHttp(post(body, signed(body)), deps);
    const other = JSON.stringify({ ...validRequest, userName: 'bob' });
    expect((await handleHttp(post(other, signed(other)), deps)).status).toBe(409);
    expect(ledger.accepted.map((e) => e.access.userName)).toEqual(['alice']);

    const failing = apiDeps({
      starter: {
        start: async () => {
          throw new ThrottlingError('StartExecution: Rate exceeded');
        },
      },
    });
    expect((await handleHttp(post(body, signed(body)), failing.deps)).status).toBe(503);
    expect(failing.ledger.accepted).toEqual([]);
  });

  it('answers 503 when the ledger is briefly unwell, so that the caller retries (the start is idempotent)', async () => {
    const { deps, fake } = apiDeps({
      ledger: {
        recordAccepted: async () => {
          throw new ThrottlingError('ledger UpdateItem HR-1: throttled');
        },
      },
    });
    const response = await handleHttp(post(body, signed(body)), deps);
    expect(response.status).toBe(503);
    expect(fake.started).toHaveLength(1);
  });
});

describe('GET /onboardings/{id} after Step Functions forgot the execution', () => {
  const item: RequestItem = {
    pk: 'REQUEST#HR-9',
    sk: 'REQUEST',
    itemType: 'request',
    requestId: 'HR-9',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-9',
    status: 'FAILED',
    statusAt: NOW + 9_000,
    startedAt: new Date(NOW).toISOString(),
    stoppedAt: new Date(NOW + 9_000).toISOString(),
    updatedAt: new Date(NOW + 9_000).toISOString(),
    failure: {
      failedStep: 'CreateAccessKey',
      error: 'AccessDenied',
      message: 'no',
      rolledBack: [],
      kept: [],
      leftBehind: [],
    },
  };

  it("answers from the ledger, in the execution's shape, without a timeline", async () => {
    const { deps } = apiDeps();
    const reader = new LedgerBackedStatusReader(deps.statusReader, {
      get: async (id) => (id === 'HR-9' ? item : undefined),
    });
    const response = await handleHttp(
      { method: 'GET', path: '/onboardings/HR-9', headers: bearer, rawBody: '' },
      { ...deps, statusReader: reader },
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      requestId: 'HR-9',
      executionArn: item.executionArn,
      status: 'rolled back',
      startedAt: item.startedAt,
      stoppedAt: item.stoppedAt,
      durationMs: 9_000,
      timeline: [],
      failure: item.failure,
    });
    const missing = await handleHttp(
      { method: 'GET', path: '/onboardings/HR-404', headers: bearer, rawBody: '' },
      { ...deps, statusReader: reader },
    );
    expect(missing.status).toBe(404);
  });

  it('says "rollback incomplete" for a failure without our report, as Step Functions would', () => {
    expect(outcomeFromLedger({ ...item, failure: { error: 'States.Runtime', message: 'x' } }).status).toBe(
      'rollback incomplete',
    );
    expect(outcomeFromLedger({ ...item, status: 'RUNNING', failure: undefined }).status).toBe('running');
  });
});

describe('the notifier records the end', () => {
  const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:onboarding';
  const ARN = 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1';
  const described: DescribedExecution = {
    stateMachineArn: STATE_MACHINE,
    name: 'HR-1',
    status: 'SUCCEEDED',
    input: JSON.stringify(validRequest),
    output: JSON.stringify({ created: { CreateUser: { userName: 'alice' } } }),
    error: null,
    cause: null,
    startDate: NOW,
    stopDate: NOW + 2_000,
  };
  const event = (over: Partial<ExecutionStatusChange['detail']> = {}): ExecutionStatusChange => ({
    detail: {
      executionArn: ARN,
      name: 'HR-1',
      status: 'SUCCEEDED',
      input: JSON.stringify({ ...validRequest, userName: 'mallory' }),
      output: JSON.stringify({ created: { CreateUser: { userName: 'mallory' } } }),
      ...over,
    },
  });
  const built = (ledger: ReturnType<typeof fakeLedger>['ledger']) => () => ({
    config: { api: config.api },
    stage: 'prod',
    callbackSecret: async () => 'cb',
    stateMachineArn: STATE_MACHINE,
    describe: async (arn: string) => (arn === ARN ? described : undefined),
    ledger,
  });

  it("records the execution's own status, times and what it created, never the event's", async () => {
    const ledger = fakeLedger();
    const outcome = await makeNotifyHandler(built(ledger.ledger))(event());
    expect(outcome).toEqual({ outcome: 'skipped', reason: 'no callback URL' });
    expect(ledger.ended).toEqual([
      {
        requestId: 'HR-1',
        executionArn: ARN,
        attempt: 1,
        status: 'SUCCEEDED',
        startedAt: new Date(NOW),
        stoppedAt: new Date(NOW + 2_000),
        access: expect.objectContaining({ userName: 'alice' }),
        created: { CreateUser: { userName: 'alice' } },
      },
    ]);
  });

  it('records nothing for a refused event', async () => {
    const ledger = fakeLedger();
    const outcome = await makeNotifyHandler(built(ledger.ledger))(event({ status: 'FAILED' }));
    expect(outcome.outcome).toBe('refused');
    expect(ledger.ended).toEqual([]);
  });

  it('throws when the ledger write fails, so that Lambda retries the event', async () => {
    const failing = {
      recordAccepted: async () => ({ recorded: true as const }),
      recordEnded: async () => {
        throw new ThrottlingError('ledger UpdateItem HR-1: throttled');
      },
    };
    await expect(makeNotifyHandler(built(failing))(event())).rejects.toBeInstanceOf(ThrottlingError);
  });
});
