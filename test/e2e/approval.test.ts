import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOnboardingConfig } from '../../src/config.ts';
import { PROJECT_ROOT } from '../../src/definition.ts';
import type { ExecutionOutcome } from '../../src/execution/outcome.ts';
import { type Serve, startServe } from '../../src/local/serve.ts';
import { onboardInProcess } from './cli-helpers.ts';
import { bearer, config, finalStatus, post, signed, userExists } from './serve-helpers.ts';

/**
 * The approval gate as its users meet it: the shipped admin examples wait for an approval, the status
 * says who must approve and how, and `onboard approve` (the HTTP API, signed like a ticket) lets a
 * second identity approve; a self-approval and an outsider are refused (exit 2, nothing changes), a
 * denial from a Jira approval payload and an expiry end with nothing created; `onboard run` on the
 * embedded stack takes its decision with the run, and refuses one the gate would refuse before
 * anything starts.
 */

const example = (name: string) => join(PROJECT_ROOT, 'examples', `${name}.json`);
const read = async (name: string) =>
  JSON.parse(await readFile(example(name), 'utf8')) as {
    requestId: string;
    userName: string;
    requestedBy: string;
  };

/** Until AwaitApproval has stored the pending approval: `onboard status` then shows it. */
async function waitingStatus(
  serve: Serve,
  requestId: string,
): Promise<ExecutionOutcome & { approval?: unknown }> {
  for (let i = 0; i < 1000; i++) {
    const response = await fetch(`${serve.apiUrl}/onboardings/${requestId}`, { headers: bearer(serve) });
    if (response.status === 200) {
      const body = (await response.json()) as ExecutionOutcome & { approval?: { status: string } };
      if (body.approval?.status === 'pending') return body;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${requestId} never waited for an approval`);
}

describe('onboard approve through onboard serve', () => {
  let serve: Serve;
  const cli = (args: string[]) => onboardInProcess(args, serve.exports);
  beforeAll(async () => {
    serve = await startServe({ config, apiPort: 0, retryDelayMs: 1 });
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('the Step Functions admin example waits, refuses the requester and an outsider, and a second identity approves it', async () => {
    const admin = await read('stepfunctions-admin');
    const started = await cli(['start', example('stepfunctions-admin')]);
    expect(started.code).toBe(0);

    await waitingStatus(serve, admin.requestId);
    const status = await cli(['status', admin.requestId]);
    expect(status.code).toBe(0);
    expect(status.out).toContain('waiting for approval by alice@example.com or bob@example.com');
    expect(status.out).toContain(`asked by ${admin.requestedBy}`);
    expect(status.out).toContain(`onboard approve ${admin.requestId} --as <approver>`);
    expect(await userExists(serve, admin.userName)).toBe(false);

    const self = await cli(['approve', admin.requestId, '--as', admin.requestedBy]);
    expect(self.code).toBe(2);
    expect(self.out).toContain(
      `${admin.requestedBy} asked for request ${admin.requestId} and cannot approve it`,
    );
    const outsider = await cli(['approve', admin.requestId, '--as', 'carol@example.com']);
    expect(outsider.code).toBe(2);
    expect(outsider.out).toContain('carol@example.com is not an approver of profile "stepfunctions-admin"');
    // Neither moved it: it still waits, nothing created.
    expect((await waitingStatus(serve, admin.requestId)).status).toBe('running');
    expect(await userExists(serve, admin.userName)).toBe(false);

    const approved = await cli([
      'approve',
      admin.requestId,
      '--as',
      'bob@example.com',
      '--reason',
      'on-call lead',
    ]);
    expect(approved.code).toBe(0);
    expect(approved.out).toContain(`${admin.requestId} approved by bob@example.com`);
    const report = (await finalStatus(serve, admin.requestId)) as ExecutionOutcome & {
      approval?: Record<string, unknown>;
    };
    expect(report.status).toBe('succeeded');
    expect(report.approval).toMatchObject({
      status: 'approved',
      decidedBy: 'bob@example.com',
      reason: 'on-call lead',
    });
    expect(await userExists(serve, admin.userName)).toBe(true);
    const after = await cli(['status', admin.requestId]);
    expect(after.code).toBe(0);
    expect(after.out).toMatch(/approved by bob@example\.com at \S+: on-call lead/);

    // The first decision stands: a later denial is a conflict (exit 2).
    const late = await cli(['approve', admin.requestId, '--as', 'alice@example.com', '--deny']);
    expect(late.code).toBe(2);
    expect(late.out).toContain('the first decision stands');
  });

  it('a Jira approval payload that declines the Kinesis Video admin example ends Denied, nothing created', async () => {
    const admin = await read('kinesis-video-admin');
    expect((await cli(['start', example('kinesis-video-admin')])).code).toBe(0);
    await waitingStatus(serve, admin.requestId);
    const path = `/onboardings/${admin.requestId}/approval`;
    const body = JSON.stringify({
      issue: { key: admin.requestId },
      approval: { approver: 'carol@example.com', decision: 'declined', comment: 'no admin for interns' },
    });
    const response = await post(
      serve,
      body,
      { ...signed(serve, body, undefined, path), 'x-onboarding-source': 'jira' },
      path,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      approval: { status: 'denied', decidedBy: 'carol@example.com' },
    });
    const report = await finalStatus(serve, admin.requestId);
    expect(report.failure).toMatchObject({
      failedStep: 'AwaitApproval',
      error: 'ApprovalDenied',
      rolledBack: [],
    });
    expect(await userExists(serve, admin.userName)).toBe(false);
    const status = await cli(['status', admin.requestId]);
    expect(status.code).toBe(2);
    expect(status.out).toContain('denied by carol@example.com');
  });

  it('names the problem and the fix: no API URL, no credentials, an unknown request', async () => {
    const noUrl = await onboardInProcess(['approve', 'HR-1', '--as', 'bob@example.com'], {
      ONBOARDING_API_URL: undefined,
    });
    expect(noUrl.code).toBe(2);
    expect(noUrl.out).toContain('Pass --api-url URL or set ONBOARDING_API_URL');
    const noSecret = await onboardInProcess(['approve', 'HR-1', '--as', 'bob@example.com'], {
      ONBOARDING_API_URL: serve.apiUrl,
      ONBOARDING_WEBHOOK_SECRET: undefined,
      ONBOARDING_API_TOKEN: undefined,
    });
    expect(noSecret.code).toBe(2);
    expect(noSecret.out).toContain('Set ONBOARDING_WEBHOOK_SECRET');
    const wrongSecret = await onboardInProcess(['approve', 'HR-1', '--as', 'bob@example.com'], {
      ...serve.exports,
      ONBOARDING_WEBHOOK_SECRET: 'not-this-stacks-secret',
    });
    expect(wrongSecret.code).toBe(4);
    expect(wrongSecret.out).toContain('refused the credentials (401)');
    const unknown = await cli(['approve', 'HR-9999', '--as', 'bob@example.com']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain('no approval waits for request HR-9999');
  });
});

describe('an approval that nobody gives in time', () => {
  let serve: Serve;
  beforeAll(async () => {
    const raw = JSON.parse(await readFile(join(PROJECT_ROOT, 'config', 'onboarding.json'), 'utf8'));
    const short = parseOnboardingConfig({ ...raw, approval: { expiresAfterSeconds: 1 } }, 'short-expiry');
    serve = await startServe({ config: short, apiPort: 0, retryDelayMs: 1 });
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('ends Expired with nothing created, and a late approval is refused', async () => {
    const admin = await read('stepfunctions-admin');
    expect((await onboardInProcess(['start', example('stepfunctions-admin')], serve.exports)).code).toBe(0);
    const report = await finalStatus(serve, admin.requestId);
    expect(report.failure).toMatchObject({
      failedStep: 'AwaitApproval',
      error: 'ApprovalExpired',
      rolledBack: [],
    });
    expect(await userExists(serve, admin.userName)).toBe(false);
    const status = await onboardInProcess(['status', admin.requestId], serve.exports);
    expect(status.code).toBe(2);
    expect(status.out).toContain('the approval expired at');
    const late = await onboardInProcess(
      ['approve', admin.requestId, '--as', 'bob@example.com'],
      serve.exports,
    );
    expect(late.code).toBe(2);
    expect(late.out).toMatch(/expired|no longer waits/);
  });
});

describe('onboard run on the embedded stack, with its decision', () => {
  it('approves the Kinesis Video admin example as a second identity and onboards it', async () => {
    const run = await onboardInProcess([
      'run',
      example('kinesis-video-admin'),
      '--approve-as',
      'carol@example.com',
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('waiting for approval by alice@example.com or carol@example.com');
    expect(run.out).toContain('approved by carol@example.com');
    expect(run.out).toContain('Onboarded in');
  });

  it('denies with --deny-as: exit 2, Denied, nothing created', async () => {
    const run = await onboardInProcess([
      'run',
      example('stepfunctions-admin'),
      '--deny-as',
      'alice@example.com',
      '--reason',
      'not this quarter',
      '--json',
    ]);
    expect(run.code).toBe(2);
    const outcome = JSON.parse(run.out) as ExecutionOutcome;
    expect(outcome.failure).toMatchObject({
      failedStep: 'AwaitApproval',
      error: 'ApprovalDenied',
      rolledBack: [],
    });
    expect(JSON.stringify(outcome.failure)).toContain('denied by alice@example.com: not this quarter');
    expect(outcome.created).toBeUndefined();
  });

  it('refuses before anything starts: no decision, a self-approval, a decision for an unprivileged profile', async () => {
    const none = await onboardInProcess(['run', example('stepfunctions-admin')]);
    expect(none.code).toBe(2);
    expect(none.out).toContain('waits for an approval by alice@example.com or bob@example.com');
    expect(none.out).toContain('--approve-as alice@example.com');
    expect(none.out).not.toContain('embedded local stack');
    const admin = await read('stepfunctions-admin');
    const self = await onboardInProcess([
      'run',
      example('stepfunctions-admin'),
      '--approve-as',
      admin.requestedBy,
    ]);
    expect(self.code).toBe(2);
    expect(self.out).toContain('cannot approve it');
    expect(self.out).not.toContain('embedded local stack');
    const needless = await onboardInProcess(['run', example('new-hire'), '--approve-as', 'bob@example.com']);
    expect(needless.code).toBe(2);
    expect(needless.out).toContain('is not privileged and needs no approval');
  });
});
