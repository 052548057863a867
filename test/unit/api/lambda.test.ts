import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../../src/api/auth.ts';
import { apiDepsFromEnv, type HttpApiEventV2, makeHttpApiHandler } from '../../../src/api/lambda.ts';
import { configEnv } from '../../../src/config.ts';
import { CallbackDeliveryError, makeNotifyHandler } from '../../../src/notifier/lambda.ts';
import type { ExecutionStatusChange } from '../../../src/notifier/notify.ts';
import { apiDeps, config, validRequest, WEBHOOK_SECRET } from './fakes.ts';

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
      onboarding: { userName: 'jira.user', group: 'sre' },
    });
    const result = await handler(
      event({
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: true,
        rawQueryString: 'source=jira',
        headers: { 'x-onboarding-signature': signatureHeader(WEBHOOK_SECRET, body) },
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
        headers: { 'x-onboarding-signature': signatureHeader(WEBHOOK_SECRET, body) },
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
  const built = () => ({
    config: {
      api: {
        ...config.api,
        callbackAllowedHosts: ['tickets.example.com', '127.0.0.1'],
        callbackMaxAttempts: 2,
      },
    },
    callbackSecret: async () => 'cb',
  });

  it('throws when the callback could not be delivered, so that Lambda retries the event', async () => {
    const handler = makeNotifyHandler(built, {
      fetch: (async () => new Response(null, { status: 503 })) as typeof fetch,
      sleep: async () => undefined,
    });
    await expect(handler(change('https://tickets.example.com/hook'))).rejects.toBeInstanceOf(
      CallbackDeliveryError,
    );
  });

  it('never calls loopback from Lambda, even when the allowlist names it', async () => {
    let called = false;
    const handler = makeNotifyHandler(built, {
      fetch: (async () => {
        called = true;
        return new Response(null, { status: 204 });
      }) as typeof fetch,
    });
    expect(await handler(change('http://127.0.0.1:9001/2018-06-01/runtime/invocation/next'))).toEqual({
      outcome: 'refused',
      reason: 'callback host 127.0.0.1 is a loopback address',
    });
    expect(called).toBe(false);
  });
});
