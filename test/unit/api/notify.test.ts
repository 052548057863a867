import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifySignatureHeader } from '../../../src/api/auth.ts';
import {
  callbackRefusal,
  deliveryIdOf,
  type ExecutionStatusChange,
  type NotifyDeps,
  notifyCompletion,
  summaryOf,
} from '../../../src/notifier/notify.ts';

const HOOK = 'https://tickets.example.com/hooks/onboarding';
const policy = { allowedHosts: ['tickets.example.com', '127.0.0.1'] };
const failure = {
  failedStep: 'CreateAccessKey',
  error: 'AccessDenied',
  message: 'no',
  rolledBack: [{ step: 'UndoCreateUser', detail: 'deleted user alice' }],
  kept: [],
  leftBehind: [],
};

const change = (
  callbackUrl: string | undefined,
  over: Partial<ExecutionStatusChange['detail']> = {},
): ExecutionStatusChange => ({
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  detail: {
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1',
    name: 'HR-1',
    status: 'FAILED',
    startDate: Date.UTC(2026, 0, 15, 12),
    stopDate: Date.UTC(2026, 0, 15, 12, 0, 9),
    input: JSON.stringify({ requestId: 'HR-1', ...(callbackUrl ? { contact: { callbackUrl } } : {}) }),
    inputDetails: { included: true },
    output: null,
    error: 'AccessDenied',
    cause: JSON.stringify(failure),
    ...over,
  },
});

interface Call {
  url: string;
  init: RequestInit;
}

/** A receiver answering the given responses in turn (the last one repeats). */
function receiver(...responses: (() => Response)[]) {
  const calls: Call[] = [];
  const waits: number[] = [];
  const deps: NotifyDeps = {
    ...policy,
    callbackSecret: async () => 'cb-secret',
    maxAttempts: 5,
    timeoutMs: 1_000,
    fetch: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const next = responses[Math.min(calls.length - 1, responses.length - 1)];
      return next ? next() : new Response(null, { status: 204 });
    }) as typeof fetch,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
  };
  return { calls, waits, deps };
}

const status =
  (code: number, headers: Record<string, string> = {}) =>
  () =>
    new Response(null, { status: code, headers });
const header = (call: Call | undefined, name: string) =>
  (call?.init.headers as Record<string, string> | undefined)?.[name];

describe('where a callback may go', () => {
  it.each([
    ['https://evil.example.net/x', 'callback host evil.example.net is not in api.callbackAllowedHosts'],
    ['http://tickets.example.com/x', 'the callback URL must use https'],
    ['https://u:p@tickets.example.com/x', 'the callback URL must not carry credentials'],
    [
      'https://tickets.example.com.evil.net/x',
      'callback host tickets.example.com.evil.net is not in api.callbackAllowedHosts',
    ],
    ['http://127.0.0.1:9/x', 'callback host 127.0.0.1 is a loopback address'],
    ['http://localhost:9/x', 'callback host localhost is a loopback address'],
    ['http://169.254.169.254/latest/meta-data', 'callback host 169.254.169.254 is never called'],
    ['ftp://tickets.example.com/x', 'the callback URL must use https'],
    ['not a url', 'the callback URL is not a URL'],
  ])('refuses %s', (url, reason) => {
    expect(callbackRefusal(url, policy)).toBe(reason);
  });

  it('allows an allowlisted https host, whatever the case, and loopback over http only where allowed', () => {
    expect(callbackRefusal('https://Tickets.Example.com/x', policy)).toBeUndefined();
    expect(callbackRefusal('http://127.0.0.1:9/x', { ...policy, allowLoopback: true })).toBeUndefined();
    expect(callbackRefusal('http://localhost:9/x', { ...policy, allowLoopback: true })).toMatch(/not in api/);
    expect(
      callbackRefusal('http://169.254.169.254/x', { allowedHosts: ['169.254.169.254'], allowLoopback: true }),
    ).toMatch(/never called/);
  });

  it('refuses every URL whose host is not on the list', () => {
    fc.assert(
      fc.property(fc.webUrl(), (url) => {
        const host = new URL(url).hostname;
        const refusal = callbackRefusal(url, policy);
        if (!policy.allowedHosts.includes(host)) expect(refusal).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('the completion callback', () => {
  it('sends nothing for a host off the allowlist, a running execution, or a request without a callback URL', async () => {
    const { calls, deps } = receiver();
    expect(await notifyCompletion(change('https://evil.example.net/x'), deps)).toEqual({
      outcome: 'refused',
      reason: 'callback host evil.example.net is not in api.callbackAllowedHosts',
    });
    expect(await notifyCompletion(change(HOOK, { status: 'RUNNING' }), deps)).toEqual({
      outcome: 'skipped',
      reason: 'not finished',
    });
    expect(await notifyCompletion(change(undefined), deps)).toEqual({
      outcome: 'skipped',
      reason: 'no callback URL',
    });
    expect(calls).toEqual([]);
  });

  it('POSTs the signed summary: status, timing, the failure report; a stable delivery id', async () => {
    const { calls, deps } = receiver();
    expect(await notifyCompletion(change(HOOK), deps)).toEqual({
      outcome: 'sent',
      url: HOOK,
      attempts: 1,
      status: 204,
    });
    const [call] = calls;
    expect(call?.init.method).toBe('POST');
    expect(call?.init.redirect).toBe('manual');
    const body = String(call?.init.body);
    expect(
      verifySignatureHeader(
        header(call, 'x-onboarding-signature'),
        { method: 'POST', path: '/hooks/onboarding', body },
        'cb-secret',
        {
          replayWindowSeconds: 300,
        },
      ),
    ).toBe(true);
    expect(header(call, 'x-onboarding-delivery')).toBe(deliveryIdOf(change(HOOK)));
    expect(JSON.parse(body)).toEqual({
      requestId: 'HR-1',
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:HR-1',
      status: 'rolled back',
      startedAt: '2026-01-15T12:00:00.000Z',
      stoppedAt: '2026-01-15T12:00:09.000Z',
      durationMs: 9000,
      failure,
    });
  });

  it('words every end the way the status API does', () => {
    const of = (over: Partial<ExecutionStatusChange['detail']>) => summaryOf(change(HOOK, over)).status;
    expect(of({ status: 'SUCCEEDED', error: null, cause: null, output: '{"created":{}}' })).toBe('succeeded');
    expect(of({ error: 'RollbackIncomplete' })).toBe('rollback incomplete');
    expect(of({ status: 'ABORTED', error: null })).toBe('aborted');
    expect(of({ status: 'TIMED_OUT', error: 'States.Timeout' })).toBe('timed out');
    expect(summaryOf(change(HOOK, { status: 'ABORTED', error: null, cause: null })).failure).toEqual({
      error: 'ExecutionAborted',
      message: 'the execution was stopped before it ended; no rollback ran',
    });
  });

  it('retries 5xx, 429 and network errors with growing waits, inside the attempt limit', async () => {
    const boom = () => {
      throw new TypeError('fetch failed');
    };
    const { calls, waits, deps } = receiver(status(503), status(429), boom, status(502), status(200));
    expect(await notifyCompletion(change(HOOK), deps)).toEqual({
      outcome: 'sent',
      url: HOOK,
      attempts: 5,
      status: 200,
    });
    expect(calls).toHaveLength(5);
    expect(waits).toEqual([375, 750, 1500, 3000]);
  });

  it('honours Retry-After, bounded', async () => {
    const { waits, deps } = receiver(
      status(503, { 'retry-after': '2' }),
      status(429, { 'retry-after': '3600' }),
      status(204),
    );
    await notifyCompletion(change(HOOK), deps);
    expect(waits).toEqual([2000, 30_000]);
  });

  it('gives up after the last attempt, and says the failure may be retried later', async () => {
    const { calls, deps } = receiver(status(500));
    expect(await notifyCompletion(change(HOOK), { ...deps, maxAttempts: 3 })).toEqual({
      outcome: 'failed',
      reason: 'callback failed: HTTP 500',
      attempts: 3,
      retryable: true,
    });
    expect(calls).toHaveLength(3);
  });

  it('stops before the deadline rather than start an attempt it cannot finish', async () => {
    let now = 0;
    const { calls, deps } = receiver(status(500));
    const outcome = await notifyCompletion(change(HOOK), {
      ...deps,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      deadlineMs: 3_000,
    });
    expect(outcome).toMatchObject({ outcome: 'failed', retryable: true });
    expect(calls.length).toBeLessThan(5);
  });

  it('does not retry a 4xx refusal', async () => {
    const { calls, deps } = receiver(status(404));
    expect(await notifyCompletion(change(HOOK), deps)).toEqual({
      outcome: 'failed',
      reason: 'callback refused: HTTP 404',
      attempts: 1,
      retryable: false,
    });
    expect(calls).toHaveLength(1);
  });

  it('follows a 307/308 to the same origin, and no redirect to another host', async () => {
    const same = receiver(status(308, { location: '/hooks/v2' }), status(204));
    expect(await notifyCompletion(change(HOOK), same.deps)).toMatchObject({ outcome: 'sent' });
    expect(same.calls.map((c) => c.url)).toEqual([HOOK, 'https://tickets.example.com/hooks/v2']);

    const elsewhere = receiver(status(307, { location: 'https://evil.example.net/x' }));
    expect(await notifyCompletion(change(HOOK), elsewhere.deps)).toEqual({
      outcome: 'failed',
      reason: 'HTTP 307: a redirect to another host is not followed',
      attempts: 1,
      retryable: false,
    });
    expect(elsewhere.calls).toHaveLength(1);

    const downgrade = receiver(status(302, { location: '/elsewhere' }));
    expect(await notifyCompletion(change(HOOK), downgrade.deps)).toMatchObject({
      outcome: 'failed',
      retryable: false,
    });

    const loop = receiver(status(307, { location: '/hooks/onboarding' }));
    expect(await notifyCompletion(change(HOOK), loop.deps)).toMatchObject({ reason: 'too many redirects' });
    expect(loop.calls).toHaveLength(3);
  });

  it('sends nothing when the event does not carry the input', async () => {
    const { calls, deps } = receiver();
    expect(
      await notifyCompletion(change(HOOK, { input: null, inputDetails: { included: false } }), deps),
    ).toMatchObject({
      outcome: 'skipped',
    });
    expect(calls).toEqual([]);
  });
});
