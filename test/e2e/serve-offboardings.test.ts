import { IAMClient, ListAccessKeysCommand, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySignatureHeader } from '../../src/api/auth.ts';
import { containPolicyArn } from '../../src/config.ts';
import { type Serve, startServe } from '../../src/local/serve.ts';
import type { NotifyOutcome } from '../../src/notifier/notify.ts';
import { onboardInProcess } from './cli-helpers.ts';
import {
  bearer,
  callbackReceiver,
  config,
  finalStatus,
  post,
  request,
  signed,
  userExists,
} from './serve-helpers.ts';

/**
 * The leaver saga through the HTTP API of `onboard serve`, over real HTTP on loopback: POST
 * /offboardings with a grace period contains the leaver and waits; GET /offboardings/{id} shows the
 * phase; POST /offboardings/{id}/restore lifts the containment, once; with no grace period the user is
 * removed; bad input and no credentials are refused before anything starts.
 */

let serve: Serve;
let receiver: Awaited<ReturnType<typeof callbackReceiver>>;
let notified: NotifyOutcome[];
beforeEach(async () => {
  receiver = await callbackReceiver();
  notified = [];
  serve = await startServe({
    config,
    apiPort: 0,
    retryDelayMs: 1,
    callbackAllowedHosts: ['127.0.0.1'],
    onNotify: (outcome, change) => {
      if (change.detail.executionArn.includes('-offboarding:')) notified.push(outcome);
    },
  });
});
afterEach(async () => {
  await serve.stop();
  await receiver.close();
});

const operatorIam = () =>
  new IAMClient({
    region: 'us-east-1',
    endpoint: serve.awsEndpoint,
    credentials: { accessKeyId: 'local-emulator', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

async function onboarded() {
  const body = JSON.stringify(request());
  expect((await post(serve, body, signed(serve, body))).status).toBe(202);
  expect((await finalStatus(serve, 'HR-500')).status).toBe('succeeded');
}

const get = (path: string) => fetch(`${serve.apiUrl}${path}`, { headers: bearer(serve) });

async function untilPhase(id: string, phase: string) {
  for (let i = 0; i < 500; i++) {
    const response = await get(`/offboardings/${id}`);
    if (response.status === 200 && ((await response.json()) as { phase: string }).phase === phase) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${id} never reached ${phase}`);
}

describe('the offboarding routes', () => {
  it('contains with a grace period, shows the phase, restores once on request', async () => {
    await onboarded();
    const body = JSON.stringify({ requestId: 'OFF-500', userName: 'katherine', gracePeriodDays: 7 });
    const started = await post(serve, body, bearer(serve), '/offboardings');
    expect(started.status).toBe(202);
    expect(await started.json()).toMatchObject({
      requestId: 'OFF-500',
      gracePeriodDays: 7,
      statusUrl: `${serve.apiUrl}/offboardings/OFF-500`,
      restoreUrl: `${serve.apiUrl}/offboardings/OFF-500/restore`,
    });
    await untilPhase('OFF-500', 'grace');
    const record = (await (await get('/offboardings/OFF-500')).json()) as Record<string, unknown>;
    expect(record).toMatchObject({ userName: 'katherine', phase: 'grace' });
    expect(JSON.stringify(record)).not.toMatch(/taskToken/i);
    const iam = operatorIam();
    const denyAll = containPolicyArn(config, 'arn:aws:iam::000000000000:');
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'katherine' }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toContain(denyAll);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'katherine' }));
    expect(keys.AccessKeyMetadata?.map((k) => k.Status)).toEqual(['Inactive']);

    // The same request again is the same offboarding.
    expect((await post(serve, body, bearer(serve), '/offboardings')).status).toBe(200);

    // onboard restore, as an operator runs it against this API.
    const env = {
      ONBOARDING_API_URL: serve.apiUrl,
      ONBOARDING_API_TOKEN: serve.secrets.apiToken,
      NO_COLOR: '1',
    };
    const restored = await onboardInProcess(['restore', 'OFF-500', '--by', 'manager@example.com'], env);
    expect(restored.code, restored.out).toBe(0);
    expect(restored.out).toMatch(/OFF-500: restore requested by manager@example.com/);
    await untilPhase('OFF-500', 'restored');
    const back = await iam.send(new ListAccessKeysCommand({ UserName: 'katherine' }));
    expect(back.AccessKeyMetadata?.map((k) => k.Status)).toEqual(['Active']);
    const after = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'katherine' }));
    expect(after.AttachedPolicies?.map((p) => p.PolicyArn)).not.toContain(denyAll);
    iam.destroy();
    // Once: there is no grace period now (the CLI says so, exit 2; the route 409).
    const late = await onboardInProcess(['restore', 'OFF-500', '--by', 'manager@example.com'], env);
    expect(late.code).toBe(2);
    expect(late.out).toMatch(/is restored, not in its grace period/);
    const restore = JSON.stringify({ requestedBy: 'manager@example.com' });
    const again = await post(serve, restore, bearer(serve), '/offboardings/OFF-500/restore');
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toMatch(/is restored, not in its grace period/);
  });

  it('removes the user at once with gracePeriodDays 0, and tells the ticket, signed', async () => {
    await onboarded();
    const body = JSON.stringify({
      requestId: 'OFF-501',
      userName: 'katherine',
      gracePeriodDays: 0,
      contact: { callbackUrl: receiver.url() },
    });
    expect((await post(serve, body, bearer(serve), '/offboardings')).status).toBe(202);
    await untilPhase('OFF-501', 'removed');
    expect(await userExists(serve, 'katherine')).toBe(false);
    for (let i = 0; i < 500 && notified.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(notified[0]).toMatchObject({ outcome: 'sent', status: 204 });
    const callback = receiver.received.find(
      (r) => r.headers['x-onboarding-event'] === 'offboarding.finished',
    );
    expect(JSON.parse(callback?.body ?? '{}')).toMatchObject({
      kind: 'offboarding',
      requestId: 'OFF-501',
      userName: 'katherine',
      outcome: 'removed',
    });
    expect(
      verifySignatureHeader(
        String(callback?.headers['x-onboarding-signature']),
        { method: 'POST', path: '/hooks/onboarding', body: callback?.body ?? '' },
        serve.secrets.callbackSecret,
        { replayWindowSeconds: 300 },
      ),
    ).toBe(true);
  });

  it("takes Jira's payload as the automation rule sends it (empty smart values absent), and names ServiceNow's fields in a refusal", async () => {
    await onboarded();
    const jira = JSON.stringify({
      issue: { key: 'OFF-505' },
      offboarding: {
        userName: 'katherine',
        gracePeriodDays: '0',
        callbackUrl: '',
        requestedBy: 'hr@example.com',
        reason: '',
      },
    });
    expect((await post(serve, jira, bearer(serve), '/offboardings/jira')).status).toBe(202);
    await untilPhase('OFF-505', 'removed');
    expect(await userExists(serve, 'katherine')).toBe(false);

    const servicenow = JSON.stringify({
      number: 'RITM0010001',
      variables: { user_name: 'a b', grace_period_days: '500', callback_url: '' },
    });
    const refused = await post(
      serve,
      servicenow,
      signed(serve, servicenow, undefined, '/offboardings/servicenow'),
      '/offboardings/servicenow',
    );
    expect(refused.status).toBe(400);
    const answer = (await refused.json()) as { error: string; issues: { path: string }[] };
    expect(answer.error).toMatch(/servicenow payload/);
    expect(answer.issues.map((i) => i.path)).toEqual(['variables.user_name', 'variables.grace_period_days']);
  });

  it('refuses a callback URL off the allowlist, before anything starts', async () => {
    const body = JSON.stringify({
      requestId: 'OFF-504',
      userName: 'katherine',
      contact: { callbackUrl: 'https://elsewhere.example.net/hook' },
    });
    const refused = await post(serve, body, bearer(serve), '/offboardings');
    expect(refused.status).toBe(400);
    const answer = (await refused.json()) as { issues: { path: string; message: string }[] };
    expect(answer.issues[0]?.path).toBe('contact.callbackUrl');
    expect((await get('/offboardings/OFF-504')).status).toBe(404);
  });

  it('refuses bad input, no credentials and unknown ids before anything starts', async () => {
    const bad = JSON.stringify({ requestId: 'OFF-502', userName: 'a b', gracePeriodDays: 500 });
    const refused = await post(serve, bad, bearer(serve), '/offboardings');
    expect(refused.status).toBe(400);
    const issues = ((await refused.json()) as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(issues).toEqual(['userName', 'gracePeriodDays']);
    const good = JSON.stringify({ requestId: 'OFF-503', userName: 'katherine' });
    expect((await post(serve, good, {}, '/offboardings')).status).toBe(401);
    expect((await get('/offboardings/OFF-404')).status).toBe(404);
    const restore = JSON.stringify({ requestedBy: 'x' });
    expect((await post(serve, restore, bearer(serve), '/offboardings/OFF-404/restore')).status).toBe(409);
    expect((await post(serve, '{"who":"x"}', bearer(serve), '/offboardings/OFF-404/restore')).status).toBe(
      400,
    );
  });
});
