import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifySignatureHeader } from '../../../src/api/auth.ts';
import {
  callbackRefusal,
  deliveryIdOf,
  type ExecutionStatusChange,
  type NotifyDeps,
  notifyCompletion,
  pinnedFetch,
  summaryOf,
} from '../../../src/notifier/notify.ts';

const HOOK = 'https://tickets.example.com/hooks/onboarding';
const policy = { stage: 'prod', allowedHosts: ['tickets.example.com', '127.0.0.1'] };
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
    resolve: async () => [{ address: '93.184.216.34', family: 4 }],
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
  const local = { stage: 'local', allowedHosts: ['127.0.0.1', 'localhost', 'tickets.example.com'] };
  it.each([
    [
      'https://evil.example.net/x',
      /evil\.example\.net is not allowed for stage prod: add it to api\.callbackAllowedHosts\.prod/,
    ],
    ['http://tickets.example.com/x', /must use https/],
    ['https://u:p@tickets.example.com/x', /must not carry credentials/],
    ['https://tickets.example.com.evil.net/x', /not allowed for stage prod/],
    [
      'https://tickets.example.com:8443/x',
      /port 8443 is not allowed: deployed stages call https on port 443 only/,
    ],
    ['http://127.0.0.1:9/x', /127\.0\.0\.1 is a loopback address, allowed only on the local stack/],
    ['https://localhost/x', /localhost is a loopback address/],
    ['https://[::1]/x', /::1 is a loopback address/],
    ['https://169.254.169.254/latest/meta-data', /169\.254\.169\.254 is not a public address/],
    ['https://10.0.0.5/x', /10\.0\.0\.5 is not a public address/],
    ['https://[fd00:ec2::254]/x', /is not a public address/],
    ['https://[::ffff:169.254.169.254]/x', /is not a public address/],
    ['ftp://tickets.example.com/x', /must use https/],
    ['not a url', /is not a URL/],
  ])('refuses %s on a deployed stage', (url, reason) => {
    expect(callbackRefusal(url, policy)).toMatch(reason);
  });

  it('allows an allowlisted https host on 443, whatever the case', () => {
    expect(callbackRefusal('https://Tickets.Example.com/x', policy)).toBeUndefined();
    expect(callbackRefusal('https://tickets.example.com:443/x', policy)).toBeUndefined();
  });

  it('allows loopback over http, on any port, only for stage local', () => {
    expect(callbackRefusal('http://127.0.0.1:9/x', local)).toBeUndefined();
    expect(callbackRefusal('http://localhost:9/x', local)).toBeUndefined();
    expect(callbackRefusal('http://tickets.example.com/x', local)).toMatch(/must use https/);
    expect(
      callbackRefusal('http://169.254.169.254/x', { ...local, allowedHosts: ['169.254.169.254'] }),
    ).toMatch(/not a public address/);
    expect(callbackRefusal('http://127.0.0.1:9/x', { ...local, stage: 'dev' })).toMatch(/loopback/);
  });

  it.each([
    ['a private address', '10.1.2.3'],
    ['the metadata service', '169.254.169.254'],
    ['a link-local IPv6 address', 'fe80::1'],
    ['the EC2 IPv6 metadata address', 'fd00:ec2::254'],
    ['loopback', '127.0.0.1'],
    ['an IPv4-mapped private address', '::ffff:192.168.0.1'],
    ['carrier-grade NAT', '100.64.0.1'],
  ])(
    'refuses a host that resolves to %s, even next to a public one, and calls nobody',
    async (_what, address) => {
      const { calls, deps } = receiver();
      const outcome = await notifyCompletion(change(HOOK), {
        ...deps,
        resolve: async () => [
          { address: '93.184.216.34', family: 4 },
          { address, family: address.includes(':') ? 6 : 4 },
        ],
      });
      expect(outcome).toEqual({
        outcome: 'refused',
        reason: `callback host tickets.example.com resolves to ${address}, which is not a public address; it is never called`,
      });
      expect(calls).toEqual([]);
    },
  );

  it('connects to the address it checked, not to a second DNS answer (rebinding)', async () => {
    let lookups = 0;
    const answers = ['93.184.216.34', '169.254.169.254'];
    const seen: string[] = [];
    const fetchVia = pinnedFetch([{ address: '127.0.0.1', family: 4 }]);
    expect(typeof fetchVia).toBe('function');
    const { deps } = receiver();
    await notifyCompletion(change(HOOK), {
      ...deps,
      resolve: async () => {
        const address = answers[lookups++] ?? '169.254.169.254';
        seen.push(address);
        return [{ address, family: 4 }];
      },
    });
    // One resolution per delivery: the connection uses its answer (pinnedFetch's lookup), never a new one.
    expect(seen).toEqual(['93.184.216.34']);
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
      reason:
        'callback host evil.example.net is not allowed for stage prod: add it to api.callbackAllowedHosts.prod in config/onboarding.json',
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
