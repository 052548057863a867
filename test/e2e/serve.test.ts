import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureHeader, verifySignatureHeader } from '../../src/api/auth.ts';
import { type Serve, startServe } from '../../src/local/serve.ts';
import type { NotifyOutcome } from '../../src/notifier/notify.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import {
  bearer,
  callbackReceiver,
  config,
  executionCount,
  finalStatus,
  post,
  request,
  signed,
  userExists,
} from './serve-helpers.ts';

/** The HTTP API for ticketing tools over real HTTP on loopback, against the whole local stack. */

let serve: Serve;
let receiver: Awaited<ReturnType<typeof callbackReceiver>>;
let notified: { requestId: string; outcome: NotifyOutcome }[];

beforeEach(async () => {
  receiver = await callbackReceiver();
  notified = [];
  serve = await startServe({
    config,
    apiPort: 0,
    retryDelayMs: 1,
    callbackAllowedHosts: ['127.0.0.1'],
    onNotify: (outcome, change) => notified.push({ requestId: change.detail.name, outcome }),
  });
});

afterEach(async () => {
  await serve.stop();
  await receiver.close();
});

describe('POST /onboardings', () => {
  it('onboards a signed request: 202 with the execution and a status URL, then succeeded, and the user exists', async () => {
    const body = JSON.stringify(request());
    const response = await post(serve, body, signed(serve, body));
    expect(response.status).toBe(202);
    const started = (await response.json()) as { requestId: string; executionArn: string; statusUrl: string };
    expect(started).toEqual({
      requestId: 'HR-500',
      executionArn: `${serve.stateMachineArn.replace(':stateMachine:', ':execution:')}:HR-500`,
      statusUrl: `${serve.apiUrl}/onboardings/HR-500`,
    });
    expect(response.headers.get('location')).toBe(started.statusUrl);

    const report = await finalStatus(serve, 'HR-500');
    expect(report.status).toBe('succeeded');
    expect(report.timeline.map((s) => s.state)).toEqual([
      'ValidateRequest',
      'NeedsApproval',
      'Plan',
      'CreateUser',
      'EnsureGroup',
      'AddUserToGroup',
      'AttachGroupPolicies',
      'AttachUserPolicies',
      'EnsureServiceLinkedRoles',
      'CreateLoginProfile',
      'CreateAccessKey',
      'OnboardingSucceeded',
    ]);
    expect(report.timeline.every((s) => s.status === 'succeeded')).toBe(true);
    expect(await userExists(serve, 'katherine')).toBe(true);
  });

  it('shows what was created by reference, never the secret access key', async () => {
    // data-engineers keep their key in their own secret: the report names it, never its value.
    const body = JSON.stringify(request());
    await post(serve, body, signed(serve, body));
    const report = await finalStatus(serve, 'HR-500');
    const text = JSON.stringify(report);
    expect(text).toMatch(/AKIA[0-9A-Z]{16}/);
    expect(text).toContain(':secret:onboarding/katherine/access-key');
    const secrets = serve.stack.emulator?.snapshot().secrets ?? [];
    const values = JSON.stringify(secrets).match(/[A-Za-z0-9/+]{40}/g) ?? [];
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(text).not.toContain(value);
  });

  it('accepts a static bearer token from tools that cannot sign', async () => {
    const body = JSON.stringify(request());
    expect((await post(serve, body, bearer(serve))).status).toBe(202);
    expect((await finalStatus(serve, 'HR-500')).status).toBe('succeeded');
  });

  it.each([
    ['an unsigned', (_s: Serve, _b: string) => ({}) as Record<string, string>],
    // Signed for katherine, sent for mallory.
    ['a tampered', (s: Serve, b: string) => signed(s, b)],
    ['a replayed (10 minutes old)', (s: Serve, b: string) => signed(s, b, Date.now() - 10 * 60_000)],
    ['a post-dated (10 minutes ahead)', (s: Serve, b: string) => signed(s, b, Date.now() + 10 * 60_000)],
    [
      'an otherwise signed',
      (_s: Serve, b: string) => ({
        'x-onboarding-signature': signatureHeader('not-the-secret', {
          method: 'POST',
          path: '/onboardings',
          body: b,
        }),
      }),
    ],
    ['a wrong bearer token', () => ({ authorization: 'Bearer nope' })],
    [
      'a badly signed but token-carrying',
      (s: Serve, b: string) => ({
        ...bearer(s),
        'x-onboarding-signature': signatureHeader('x', { method: 'POST', path: '/onboardings', body: b }),
      }),
    ],
  ])('answers 401 with no detail to %s request and starts nothing', async (_what, headers) => {
    const body = JSON.stringify(request({ userName: 'katherine' }));
    const sent = body.replace('katherine', 'mallory');
    const response = await post(serve, sent, headers(serve, body));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'unauthorized' });
    expect(await executionCount(serve)).toBe(0);
    expect(await userExists(serve, 'mallory')).toBe(false);
    expect(await userExists(serve, 'katherine')).toBe(false);
  });

  it('answers a status read without credentials with 401 too', async () => {
    const response = await fetch(`${serve.apiUrl}/onboardings/HR-500`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'unauthorized' });
  });

  it('answers the same request again with the same execution, while it runs and after it ended', async () => {
    const body = JSON.stringify(request());
    const headers = signed(serve, body);
    const first = (await (await post(serve, body, headers)).json()) as { executionArn: string };
    const again = await post(serve, body, headers);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { executionArn: string }).executionArn).toBe(first.executionArn);
    expect((await finalStatus(serve, 'HR-500')).status).toBe('succeeded');

    // Step Functions refuses a finished execution's name whatever the input: the API compares inputs.
    const afterEnd = await post(serve, body, signed(serve, body));
    expect(afterEnd.status).toBe(202);
    expect(((await afterEnd.json()) as { executionArn: string }).executionArn).toBe(first.executionArn);
    expect(await executionCount(serve)).toBe(1);
  });

  it('runs a rolled-back ticket again as a new attempt when it is re-sent, which converges; a succeeded one is not re-run', async () => {
    // Prepare: the first attempt fails for good and rolls back.
    serve.stack.emulator?.faults.add({
      action: 'CreateAccessKey',
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    });
    const body = JSON.stringify(request());
    const first = (await (await post(serve, body, signed(serve, body))).json()) as { executionArn: string };
    expect((await finalStatus(serve, 'HR-500')).status).toBe('rolled back');
    serve.stack.emulator?.faults.clear();

    // Act: the ticket is sent again, unchanged.
    const again = await post(serve, body, signed(serve, body));

    // Assess: a fresh execution, linked to the one before, that succeeds.
    expect(again.status).toBe(202);
    const rerun = (await again.json()) as {
      executionArn: string;
      attempt: number;
      previousAttempts: unknown[];
    };
    expect(rerun.executionArn).toBe(`${first.executionArn}-2`);
    expect(rerun).toMatchObject({
      attempt: 2,
      previousAttempts: [{ attempt: 1, executionArn: first.executionArn, status: 'FAILED' }],
    });
    const report = await finalStatus(serve, 'HR-500', 'HR-500-2');
    expect(report).toMatchObject({
      requestId: 'HR-500',
      executionArn: rerun.executionArn,
      status: 'succeeded',
      attempt: 2,
      previousAttempts: [{ attempt: 1, executionArn: first.executionArn, status: 'FAILED' }],
    });
    expect(await userExists(serve, 'katherine')).toBe(true);
    await serve.notificationsSettled();
    await serve.stack.ledgerSettled();
    expect(await serve.stack.ledgerFor('test').get('HR-500')).toMatchObject({
      executionArn: rerun.executionArn,
      attempt: 2,
      status: 'SUCCEEDED',
      previousAttempts: [{ attempt: 1, executionArn: first.executionArn, status: 'FAILED' }],
    });

    // A succeeded ticket sent again answers its execution: nothing new starts.
    const third = await post(serve, body, signed(serve, body));
    expect(((await third.json()) as { executionArn: string }).executionArn).toBe(rerun.executionArn);
    expect(await executionCount(serve)).toBe(2);
    // Another request under the same id is still a conflict.
    const other = JSON.stringify(request({ userName: 'someone-else' }));
    expect((await post(serve, other, signed(serve, other))).status).toBe(409);
  });

  it('answers the same request id with a different request with 409, and starts nothing more', async () => {
    const body = JSON.stringify(request());
    await post(serve, body, signed(serve, body));
    const other = JSON.stringify(request({ userName: 'someone-else' }));
    const conflict = await post(serve, other, signed(serve, other));
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({
      error: 'request id HR-500 was already used with a different request',
    });
    await finalStatus(serve, 'HR-500');
    const late = await post(serve, other, signed(serve, other));
    expect(late.status).toBe(409);
    expect(await executionCount(serve)).toBe(1);
    expect(await userExists(serve, 'someone-else')).toBe(false);
  });

  it('answers 400 naming each bad field, 403 for what is off the allowlists, and starts nothing', async () => {
    const bad = JSON.stringify(request({ userName: 'has space', policyArns: ['nope'] }));
    const invalid = await post(serve, bad, signed(serve, bad));
    expect(invalid.status).toBe(400);
    const { issues } = (await invalid.json()) as { issues: { path: string; message: string }[] };
    expect(issues.map((i) => i.path)).toEqual(['userName', 'policyArns.0']);

    const admin = JSON.stringify(request({ profile: 'admins' }));
    const refused = await post(serve, admin, signed(serve, admin));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toContain(
      'profile "admins" is not in the configuration\'s profiles',
    );

    const notJson = '{"requestId": ';
    expect((await post(serve, notJson, signed(serve, notJson))).status).toBe(400);
    expect(await executionCount(serve)).toBe(0);
  });

  it('limits the body size with 413, before anything else', async () => {
    const body = JSON.stringify(request()).padEnd(config.api.maxBodyBytes + 1, ' ');
    const response = await post(serve, body, signed(serve, body));
    expect(response.status).toBe(413);
    expect(await executionCount(serve)).toBe(0);
  });

  it.each([
    ['a chunked body, as soon as it passes the limit', false],
    ['a Content-Length over the limit, before reading the body', true],
  ])('answers 413 to %s and stops reading', async (_what, declare) => {
    // 8 MiB offered in 4 KiB chunks over a raw socket; the server must answer and hang up long before.
    const { port } = new URL(serve.apiUrl);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const total = 8 * 1024 * 1024;
    socket.write(
      [
        'POST /onboardings HTTP/1.1',
        'host: 127.0.0.1',
        'content-type: application/json',
        declare ? `content-length: ${total}` : 'transfer-encoding: chunked',
        '',
        '',
      ].join('\r\n'),
    );
    let answer = '';
    let closed = false;
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    const gone = new Promise<void>((resolve) =>
      socket.once('close', () => {
        closed = true;
        resolve();
      }),
    );
    const chunk = Buffer.alloc(4096, 0x20);
    let sent = 0;
    while (sent < total && !closed && !answer) {
      const wire = declare ? chunk : Buffer.concat([Buffer.from('1000\r\n'), chunk, Buffer.from('\r\n')]);
      const flushed = socket.write(wire);
      sent += chunk.length;
      if (!flushed) await new Promise((r) => setTimeout(r, 5));
      else await new Promise((r) => setImmediate(r));
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2_000))]);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(1024 * 1024);
    expect(await executionCount(serve)).toBe(0);
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    expect((await fetch(`${serve.apiUrl}/admin`, { headers: bearer(serve) })).status).toBe(404);
    const wrong = await fetch(`${serve.apiUrl}/onboardings`, { method: 'DELETE', headers: bearer(serve) });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    const jira = await fetch(`${serve.apiUrl}/onboardings/jira`, { headers: bearer(serve) });
    expect(jira.status).toBe(405);
    expect(jira.headers.get('allow')).toBe('POST');
  });
});

describe('ticketing payloads', () => {
  it('maps a Jira Service Management automation webhook (bearer token, list as text)', async () => {
    const body = JSON.stringify({
      issue: { key: 'JSM-42' },
      onboarding: {
        userName: 'jira.user',
        profile: 'data-engineers',
        publicKey: TEST_HIRE_RECIPIENT,
        policyArns: 'arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess',
        email: '',
      },
    });
    const response = await post(serve, body, bearer(serve), '/onboardings/jira');
    expect(response.status).toBe(202);
    const report = await finalStatus(serve, 'JSM-42');
    expect(report.status).toBe('succeeded');
    expect(report.timeline.map((s) => s.state)).toContain('AttachGroupPolicies');
  });

  it("maps a ServiceNow outbound REST message signed in base64, as ServiceNow's generateMac writes it", async () => {
    const body = JSON.stringify({
      number: 'RITM0010001',
      variables: {
        user_name: 'snow.user',
        profile: 'sre',
        public_key: TEST_HIRE_RECIPIENT,
        tags: 'team=platform',
      },
    });
    const t = Math.floor(Date.now() / 1000);
    const mac = createHmac('sha256', serve.secrets.webhookSecret)
      .update(`${t}\nPOST\n/onboardings/servicenow\n${body}`)
      .digest('base64');
    const response = await post(
      serve,
      body,
      { 'x-onboarding-signature': `t=${t},v1=${mac}` },
      '/onboardings/servicenow',
    );
    expect(response.status).toBe(202);
    expect((await finalStatus(serve, 'RITM0010001')).status).toBe('succeeded');
  });

  it("selects the adapter by header too, and names the tool's own fields in errors", async () => {
    const body = JSON.stringify({
      number: 'RITM0010002',
      variables: { user_name: 'bad name', profile: 'sre' },
    });
    const response = await post(serve, body, { ...signed(serve, body), 'x-onboarding-source': 'servicenow' });
    expect(response.status).toBe(400);
    const { issues } = (await response.json()) as { issues: { path: string }[] };
    expect(issues.map((i) => i.path)).toEqual(['variables.user_name']);
  });
});

describe('the completion callback', () => {
  it('shows a rolled-back onboarding, and the allowlisted callback receives the signed failure summary', async () => {
    serve.stack.emulator?.faults.add({
      action: 'CreateAccessKey',
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    });
    const body = JSON.stringify(request({ contact: { callbackUrl: receiver.url() } }));
    expect((await post(serve, body, signed(serve, body))).status).toBe(202);

    const report = await finalStatus(serve, 'HR-500');
    expect(report.status).toBe('rolled back');
    expect(report.failure).toMatchObject({ failedStep: 'CreateAccessKey', error: 'AccessDenied' });
    expect(report.timeline.find((s) => s.state === 'CreateAccessKey')).toMatchObject({
      status: 'failed',
      error: 'AccessDenied',
    });
    expect(report.timeline.map((s) => s.state)).toContain('UndoCreateUser');
    expect(await userExists(serve, 'katherine')).toBe(false);

    await serve.notificationsSettled();
    expect(receiver.received).toHaveLength(1);
    const [callback] = receiver.received;
    expect(callback?.path).toBe('/hooks/onboarding');
    expect(callback?.headers['content-type']).toBe('application/json');
    expect(
      verifySignatureHeader(
        String(callback?.headers['x-onboarding-signature']),
        { method: 'POST', path: '/hooks/onboarding', body: callback?.body ?? '' },
        serve.secrets.callbackSecret,
        { replayWindowSeconds: 300 },
      ),
    ).toBe(true);
    expect(callback?.headers['x-onboarding-delivery']).toMatch(/^[0-9a-f]{32}$/);
    const summary = JSON.parse(callback?.body ?? '{}') as Record<string, unknown>;
    expect(summary).toMatchObject({
      requestId: 'HR-500',
      status: 'rolled back',
      failure: { failedStep: 'CreateAccessKey', error: 'AccessDenied' },
    });
    expect(notified).toEqual([
      { requestId: 'HR-500', outcome: expect.objectContaining({ outcome: 'sent' }) },
    ]);
  });

  it('tells a succeeded onboarding what was created', async () => {
    const body = JSON.stringify(request({ contact: { callbackUrl: receiver.url() } }));
    await post(serve, body, signed(serve, body));
    await finalStatus(serve, 'HR-500');
    await serve.notificationsSettled();
    const summary = JSON.parse(receiver.received[0]?.body ?? '{}') as { status: string; created: unknown };
    expect(summary.status).toBe('succeeded');
    expect(JSON.stringify(summary.created)).toMatch(/AKIA[0-9A-Z]{16}/);
  });

  it.each([
    [
      'https://evil.example.net/steal',
      'callback host evil.example.net is not allowed for stage local: add it to api.callbackAllowedHosts.local in config/onboarding.json',
    ],
    [
      'http://tickets.example.com/hook',
      'the callback URL must use https (plain http only to loopback on the local stack): tickets.example.com',
    ],
  ])(
    'refuses a callback URL it would not call (%s) at request time: 400, nothing started',
    async (url, reason) => {
      const body = JSON.stringify(request({ contact: { callbackUrl: url } }));
      const response = await post(serve, body, signed(serve, body));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { issues: unknown }).issues).toEqual([
        { path: 'contact.callbackUrl', message: reason },
      ]);
      expect(await executionCount(serve)).toBe(0);
      expect(receiver.received).toEqual([]);
    },
  );
});
