import { beforeEach, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../../src/api/auth.ts';
import { apiDepsFromEnv, type HttpApiEventV2, makeHttpApiHandler } from '../../../src/api/lambda.ts';
import { configEnv } from '../../../src/config.ts';
import {
  CallbackDeliveryError,
  type DescribedExecution,
  makeNotifyHandler,
} from '../../../src/notifier/lambda.ts';
import type { ExecutionStatusChange } from '../../../src/notifier/notify.ts';
import { TEST_HIRE_RECIPIENT } from '../../fixtures/hire-key.ts';
import { apiDeps, config, fakeLedger, validRequest, WEBHOOK_SECRET } from './fakes.ts';

const event = (over: Partial<HttpApiEventV2> = {}): HttpApiEventV2 => ({
  rawPath: '/onboardings',
  rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  requestContext: {
    domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    stage: '$default',
    http: { method: 'POST' },
  },
  isBase64Encoded: false,
  ...over,
});

describe('the API Gateway HTTP API (payload 2.0) entry point', () => {
  it('adapts the event: a base64 body, the query string, the base URL; answers the 2.0 response', async () => {
    const { deps, fake } = apiDeps({ now: () => Date.now() });
    const handler = makeHttpApiHandler(() => deps);
    const body = JSON.stringify({
      issue: { key: 'JSM-9' },
      onboarding: { userName: 'jira.user', profile: 'sre', publicKey: TEST_HIRE_RECIPIENT },
    });
    const result = await handler(
      event({
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: true,
        rawQueryString: 'source=jira',
        headers: {
          'x-onboarding-signature': signatureHeader(WEBHOOK_SECRET, {
            method: 'POST',
            path: '/onboardings?source=jira',
            body,
          }),
        },
      }),
    );
    expect(result).toMatchObject({ statusCode: 202, isBase64Encoded: false });
    expect(JSON.parse(result.body).statusUrl).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/onboardings/JSM-9',
    );
    expect(fake.started.map((s) => s.requestId)).toEqual(['JSM-9']);
  });

  it('puts a named stage in the status URL', async () => {
    const { deps } = apiDeps({ now: () => Date.now() });
    const body = JSON.stringify(validRequest);
    const result = await makeHttpApiHandler(() => deps)(
      event({
        body,
        headers: {
          'x-onboarding-signature': signatureHeader(WEBHOOK_SECRET, {
            method: 'POST',
            path: '/onboardings',
            body: body,
          }),
        },
        requestContext: { domainName: 'api.example.com', stage: 'prod', http: { method: 'POST' } },
      }),
    );
    expect(JSON.parse(result.body).statusUrl).toBe('https://api.example.com/prod/onboardings/HR-1');
  });

  it('fails fast naming the missing setting, and answers 500 without detail', async () => {
    expect(() => apiDepsFromEnv({})).toThrow(/ONBOARDING_CONFIG is not set/);
    expect(() => apiDepsFromEnv({ ...configEnv(config, '123456789012') })).toThrow(
      /ONBOARDING_STATE_MACHINE_ARN is not set/,
    );
    const result = await makeHttpApiHandler(() => apiDepsFromEnv({}))(event({ body: '{}' }));
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({
      error: 'the onboarding service is misconfigured; the logs say why',
    });
  });
});

describe('the EventBridge entry point of the notifier', () => {
  const change = (callbackUrl: string): ExecutionStatusChange => ({
    detail: {
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1',
      name: 'HR-1',
      status: 'SUCCEEDED',
      input: JSON.stringify({ contact: { callbackUrl } }),
      output: '{"created":{}}',
      error: null,
      cause: null,
    },
  });
  const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:onboarding';
  const publicResolver = async () => [{ address: '93.184.216.34', family: 4 as const }];
  /** What Step Functions knows: by default, exactly the execution the event names. */
  let executions: Record<string, DescribedExecution> = {};
  const known = (e: ExecutionStatusChange) => {
    executions[e.detail.executionArn] = {
      stateMachineArn: STATE_MACHINE,
      name: e.detail.name,
      status: e.detail.status,
      input: e.detail.input ?? null,
      output: e.detail.output ?? null,
      error: null,
      cause: null,
    };
    return e;
  };
  const built = () => ({
    config: {
      api: {
        ...config.api,
        callbackAllowedHosts: { prod: ['tickets.example.com', '127.0.0.1'] },
        callbackMaxAttempts: 2,
      },
    },
    stage: 'prod',
    callbackSecret: async () => 'cb',
    stateMachineArn: STATE_MACHINE,
    describe: async (arn: string) => executions[arn],
    ledger: ledger.ledger,
  });
  let ledger = fakeLedger();
  beforeEach(() => {
    executions = {};
    ledger = fakeLedger();
  });

  it('refuses an event for an execution that never existed, or that says another status, and calls nobody', async () => {
    const calls: string[] = [];
    const handler = makeNotifyHandler(built, {
      resolve: publicResolver,
      fetch: (async (url: string) => {
        calls.push(url);
        return new Response(null, { status: 204 });
      }) as typeof fetch,
    });
    expect(await handler(change('https://tickets.example.com/hook'))).toEqual({
      outcome: 'refused',
      reason: 'there is no execution arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1',
    });
    const failed = known(change('https://tickets.example.com/hook'));
    (executions[failed.detail.executionArn] as DescribedExecution).status = 'FAILED';
    expect(await handler(failed)).toEqual({
      outcome: 'refused',
      reason: 'the event says SUCCEEDED, the execution is FAILED',
    });
    const other = change('https://tickets.example.com/hook');
    other.detail.executionArn = 'arn:aws:states:us-east-1:123456789012:execution:payroll:HR-1';
    expect((await handler(other)).outcome).toBe('refused');
    expect(calls).toEqual([]);
  });

  it("tells the ticket an offboarding's end (removed, or what is left), and records nothing in the onboarding ledger", async () => {
    const OFFBOARDING = `${STATE_MACHINE}-offboarding`;
    const sent: { event: string | null; body: unknown }[] = [];
    const handler = makeNotifyHandler(() => ({ ...built(), offboardingStateMachineArn: OFFBOARDING }), {
      resolve: publicResolver,
      fetch: (async (_url: string, init: RequestInit) => {
        sent.push({
          event: new Headers(init.headers).get('x-onboarding-event'),
          body: JSON.parse(String(init.body)),
        });
        return new Response(null, { status: 204 });
      }) as typeof fetch,
    });
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:onboarding-offboarding:OFF-1';
    const input = JSON.stringify({
      requestId: 'OFF-1',
      userName: 'ada',
      contact: { callbackUrl: 'https://tickets.example.com/hook' },
    });
    const cause = JSON.stringify({ errorType: 'OffboardingIncomplete', errorMessage: 'left: user ada' });
    executions[arn] = {
      stateMachineArn: OFFBOARDING,
      name: 'OFF-1',
      status: 'FAILED',
      input,
      error: 'OffboardingIncomplete',
      cause,
    };
    const event: ExecutionStatusChange = {
      detail: {
        executionArn: arn,
        name: 'OFF-1',
        status: 'FAILED',
        input,
        output: null,
        error: null,
        cause: null,
      },
    };

    expect(await handler(event)).toMatchObject({ outcome: 'sent' });
    expect(sent).toEqual([
      {
        event: 'offboarding.finished',
        body: expect.objectContaining({
          kind: 'offboarding',
          requestId: 'OFF-1',
          userName: 'ada',
          outcome: 'failed',
          error: 'OffboardingIncomplete',
          message: 'left: user ada',
        }),
      },
    ]);
    expect(ledger.ended).toEqual([]);
    // Without the offboarding machine configured, its events are refused.
    expect((await makeNotifyHandler(built, { resolve: publicResolver })(event)).outcome).toBe('refused');
  });

  it("sends the execution's own details, never the event's", async () => {
    const calls: string[] = [];
    const handler = makeNotifyHandler(built, {
      resolve: publicResolver,
      fetch: (async (url: string) => {
        calls.push(String(url));
        return new Response(null, { status: 204 });
      }) as typeof fetch,
    });
    known(change('https://tickets.example.com/hook'));
    // The event is the same execution's, with another callback URL in its input.
    const outcome = await handler(change('https://tickets.example.com/attacker'));
    expect(outcome).toMatchObject({ outcome: 'sent' });
    expect(calls).toEqual(['https://tickets.example.com/hook']);
  });

  it('throws when the callback could not be delivered, so that Lambda retries the event', async () => {
    const handler = makeNotifyHandler(built, {
      resolve: publicResolver,
      fetch: (async () => new Response(null, { status: 503 })) as typeof fetch,
      sleep: async () => undefined,
    });
    await expect(handler(known(change('https://tickets.example.com/hook')))).rejects.toBeInstanceOf(
      CallbackDeliveryError,
    );
  });

  it('never calls loopback from Lambda, even when the allowlist names it', async () => {
    let called = false;
    const handler = makeNotifyHandler(built, {
      resolve: publicResolver,
      fetch: (async () => {
        called = true;
        return new Response(null, { status: 204 });
      }) as typeof fetch,
    });
    expect(await handler(known(change('http://127.0.0.1:9001/2018-06-01/runtime/invocation/next')))).toEqual({
      outcome: 'refused',
      reason: 'callback host 127.0.0.1 is a loopback address, allowed only on the local stack (stage local)',
    });
    expect(called).toBe(false);
  });
});
