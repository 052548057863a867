import { createServer, type Server } from 'node:http';
import { connect as netConnect, Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { verifySignatureHeader } from '../../../src/api/auth.ts';
import type { ResolvedAddress } from '../../../src/notifier/callback-policy.ts';
import {
  type Connect,
  type ConnectTarget,
  callbackRefusal,
  deliveryIdOf,
  type ExecutionStatusChange,
  type NotifyDeps,
  notifyCompletion,
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

/** A loopback HTTP server on an ephemeral port, recording every connection and request. */
async function loopbackServer(answers: ((path: string) => [number, Record<string, string>?])[] = []) {
  const requests: { path: string; host: string | undefined }[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ path: req.url ?? '', host: req.headers.host });
      const answer = answers[requests.length - 1] ?? (() => [204] as [number]);
      const [code, headers] = answer(req.url ?? '');
      res.writeHead(code, headers).end();
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

describe('DNS rebinding: the connection goes to the address that was checked', () => {
  const PUBLIC = '93.184.216.34';
  const REBOUND = '127.0.0.1';
  const opened: { close: () => Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  /**
   * A name whose DNS answer changes: public at the first lookup (the check), then loopback - the
   * rebinding attack. Injected as the notifier's resolver; nothing global is patched.
   */
  function rebindingDns(first: ResolvedAddress[], after: ResolvedAddress[]) {
    const asked: string[] = [];
    const resolve = async (hostname: string) => {
      asked.push(hostname);
      return asked.length === 1 ? first : after;
    };
    return { resolve, asked };
  }

  /**
   * The network, injected as the notifier's connect: every address routes to a loopback test server -
   * the public address to the ticketing tool's (`tool`), loopback to what must never be reached
   * (`victim`, standing for the emulator's control endpoints or the Lambda runtime's). Any other address
   * is unreachable. Records where each connection was asked to go.
   */
  function network(routes: Record<string, number>) {
    const targets: ConnectTarget[] = [];
    const connect: Connect = (target) => {
      targets.push(target);
      const port = routes[target.address];
      if (port !== undefined) return netConnect({ host: '127.0.0.1', port });
      const socket = new Socket();
      process.nextTick(() =>
        socket.destroy(
          Object.assign(new Error(`connect EHOSTUNREACH ${target.address}`), { code: 'EHOSTUNREACH' }),
        ),
      );
      return socket;
    };
    return { connect, targets };
  }

  const deps = (over: Partial<NotifyDeps>): NotifyDeps => ({
    stage: 'prod',
    allowedHosts: ['hooks.example.com'],
    callbackSecret: async () => 'cb-secret',
    maxAttempts: 5,
    timeoutMs: 2_000,
    sleep: async () => undefined,
    ...over,
  });

  it('keeps connecting to the checked public address when DNS answers loopback afterwards, through retries and redirects', async () => {
    // The tool: busy once (503: retried), then a same-origin 307 (followed), then accepted.
    const tool = await loopbackServer([() => [503], () => [307, { location: '/hooks/v2' }], () => [204]]);
    const victim = await loopbackServer();
    opened.push(tool, victim);
    const dns = rebindingDns([{ address: PUBLIC, family: 4 }], [{ address: REBOUND, family: 4 }]);
    const net = network({ [PUBLIC]: tool.port, [REBOUND]: victim.port });

    const outcome = await notifyCompletion(
      change('https://hooks.example.com/hooks/onboarding'),
      deps({ resolve: dns.resolve, connect: net.connect }),
    );

    expect(outcome).toMatchObject({ outcome: 'sent', attempts: 2, status: 204 });
    // The name was resolved once, at the check; DNS now answers loopback - and was never asked again.
    expect(dns.asked).toEqual(['hooks.example.com']);
    expect(await dns.resolve('hooks.example.com')).toEqual([{ address: REBOUND, family: 4 }]);
    // Every connection went to the checked address, as https on 443, naming the host for TLS.
    expect(net.targets).toHaveLength(3);
    for (const target of net.targets) {
      expect(target).toEqual({
        address: PUBLIC,
        family: 4,
        port: 443,
        hostname: 'hooks.example.com',
        secure: true,
      });
    }
    expect(tool.requests).toEqual([
      { path: '/hooks/onboarding', host: 'hooks.example.com' },
      { path: '/hooks/onboarding', host: 'hooks.example.com' },
      { path: '/hooks/v2', host: 'hooks.example.com' },
    ]);
    expect(victim.connections()).toBe(0);
    expect(victim.requests).toEqual([]);
  });

  it('never connects at all when the answer at check time is loopback, private or mixed', async () => {
    const victim = await loopbackServer();
    opened.push(victim);
    for (const answer of [
      [{ address: REBOUND, family: 4 as const }],
      [{ address: '10.0.0.7', family: 4 as const }],
      [
        { address: PUBLIC, family: 4 as const },
        { address: '::ffff:127.0.0.1', family: 6 as const },
      ],
    ]) {
      const dns = rebindingDns(answer, answer);
      const net = network({
        [REBOUND]: victim.port,
        '10.0.0.7': victim.port,
        '::ffff:127.0.0.1': victim.port,
      });
      const outcome = await notifyCompletion(
        change('https://hooks.example.com/hooks/onboarding'),
        deps({ resolve: dns.resolve, connect: net.connect }),
      );
      expect(outcome).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('not a public address'),
      });
      expect(net.targets).toEqual([]);
    }
    expect(victim.connections()).toBe(0);
  });

  it('tries the checked addresses in turn on retries, and none other', async () => {
    const tool = await loopbackServer();
    const victim = await loopbackServer();
    opened.push(tool, victim);
    const second = '93.184.216.35';
    const dns = rebindingDns(
      [
        { address: PUBLIC, family: 4 },
        { address: second, family: 4 },
      ],
      [{ address: REBOUND, family: 4 }],
    );
    // The first checked address is unreachable; the retry takes the second.
    const net = network({ [second]: tool.port, [REBOUND]: victim.port });
    const outcome = await notifyCompletion(
      change('https://hooks.example.com/hooks/onboarding'),
      deps({ resolve: dns.resolve, connect: net.connect }),
    );
    expect(outcome).toMatchObject({ outcome: 'sent', attempts: 2 });
    expect(net.targets.map((t) => t.address)).toEqual([PUBLIC, second]);
    expect(dns.asked).toHaveLength(1);
    expect(victim.connections()).toBe(0);
  });
});
