import { mkdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoApprovalStore } from '../../src/approvals/dynamodb.ts';
import { PROJECT_ROOT } from '../../src/definition.ts';
import { type Serve, startServe } from '../../src/local/serve.ts';
import { FORWARD_STATES } from '../../src/steps/index.ts';
import { NODE_STATE_GLYPHS } from '../../src/ui/state-graph.ts';
import { type Browser, openChromium } from '../helpers/chromium.ts';
import { config, finalStatus, post, request, sfnOf, signed } from './serve-helpers.ts';

/**
 * `onboard serve`'s status page in a real headless Chromium: a succeeded onboarding, one rolled back
 * after a retried step, one held while it runs (the page refreshes itself until it ends), and a
 * request whose fields try to inject markup. Screenshots go to reports/status-page-*.png.
 */

const REPORTS = join(PROJECT_ROOT, 'reports');

let serve: Serve;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
/** Releases the execution held before EnsureServiceLinkedRoles. */
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => {
  release = resolve;
});
let holding: Promise<void> | undefined;
let reachedHold: () => void = () => undefined;

const INJECTED_USER = '<img src=x onerror="window.__pwned=1">';
const INJECTED_PROFILE = '"><script>window.__pwned=2</script>';

/** Every secret value the stack holds (access key secrets, Secrets Manager values, the API's secrets). */
function secretValues(): string[] {
  const values = new Set<string>(Object.values(serve.secrets));
  const walk = (v: unknown, key = '') => {
    if (typeof v === 'string') {
      if ((key === 'secret' || key === 'value') && v.length >= 8) values.add(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
    } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(serve.stack.emulator?.snapshot());
  return [...values];
}

async function open(path: string): Promise<void> {
  const response = await page.goto(`${serve.statusPageUrl}${path}`);
  expect(response?.status()).toBe(200);
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(REPORTS, `status-page-${name}.png`), fullPage: true });
}

const nodeOf = (state: string) => page.locator(`svg.state-graph g.node[data-state="${state}"]`);
const rowOf = (state: string) => page.locator(`table.timeline tbody tr[data-state="${state}"]`).last();

beforeAll(async () => {
  await mkdir(REPORTS, { recursive: true });
  serve = await startServe({
    config,
    apiPort: 0,
    retryDelayMs: 1,
    beforeTask: async (state, input) => {
      if (state === 'EnsureServiceLinkedRoles' && JSON.stringify(input).includes('"HR-702"')) {
        reachedHold();
        await held;
      }
    },
  });
  holding = new Promise<void>((resolve) => {
    reachedHold = resolve;
  });
  browser = await openChromium();
  page = await browser.context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });

  const start = async (body: Record<string, unknown>) => {
    const text = JSON.stringify(body);
    expect((await post(serve, text, signed(serve, text))).status).toBe(202);
  };
  await start(request({ requestId: 'HR-700', userName: 'elli' }));
  expect((await finalStatus(serve, 'HR-700')).status).toBe('succeeded');
  // Four throttled CreateUser calls - two invocations, since the SDK inside tries twice - then an access
  // key AWS refuses for good: a rollback after a retried step.
  serve.stack.emulator?.faults.add({ action: 'CreateUser', kind: 'error', error: 'Throttling', count: 4 });
  serve.stack.emulator?.faults.add({
    action: 'CreateAccessKey',
    kind: 'error',
    error: 'AccessDenied',
    count: 1,
  });
  await start(request({ requestId: 'HR-701', userName: 'mallory' }));
  expect((await finalStatus(serve, 'HR-701')).status).toBe('rolled back');
  // Straight to Step Functions, past the API's validation: the ledger records what the input said.
  const sfn = sfnOf(serve);
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: serve.stateMachineArn,
        name: 'HR-703',
        input: JSON.stringify(
          request({ requestId: 'HR-703', userName: INJECTED_USER, profile: INJECTED_PROFILE }),
        ),
      }),
    );
  } finally {
    sfn.destroy();
  }
  await finalStatus(serve, 'HR-703');
  await serve.stack.ledgerSettled();
});

afterAll(async () => {
  release();
  await browser?.close();
  await serve?.stop();
});

describe('the status page in Chromium', () => {
  it('shows a succeeded onboarding: every step green and labelled, its timeline, and what was created', async () => {
    await open('/onboardings/HR-700');
    await expect(page.locator('h1 .badge').textContent()).resolves.toBe('succeeded');
    expect(await page.locator('h1 .badge').getAttribute('class')).toContain('status-succeeded');
    for (const state of ['ValidateRequest', 'Plan', 'CreateUser', 'CreateAccessKey', 'OnboardingSucceeded']) {
      expect(await nodeOf(state).getAttribute('class')).toContain('state-succeeded');
      expect(await nodeOf(state).locator('.node-status').textContent()).toContain('succeeded');
    }
    expect(await nodeOf('UndoCreateUser').getAttribute('class')).toContain('state-not-run');
    expect(await nodeOf('OnboardingFailed').locator('.node-status').textContent()).toContain('not run');
    // Every forward task ran once, in the saga's order (the step list, not a copy of it), then the end;
    // the approval Choice passes an unprivileged request straight on to Plan.
    const [validate, ...planned] = FORWARD_STATES;
    expect(await page.locator('table.timeline tbody tr th').allTextContents()).toEqual([
      validate,
      'NeedsApproval',
      ...planned,
      'OnboardingSucceeded',
    ]);
    expect(await page.locator('table.timeline tr.phase-rollback').count()).toBe(0);
    const created = await page.locator('table.created').textContent();
    expect(created).toContain(':user/onboarded/elli');
    expect(created).toMatch(/AKIA[0-9A-Z]{16}/);
    expect(created).toContain(':secret:onboarding/elli/access-key');
    // The graph is an image with a name that says what it shows, not colour alone.
    await expect(
      page.getByRole('img', { name: /State graph of HR-700: ValidateRequest succeeded/ }).count(),
    ).resolves.toBe(1);
    await screenshot('succeeded');
  });

  it('shows a rollback: the failed step red, the undone steps rolled back, the retries and the undo chain', async () => {
    await open('/onboardings/HR-701');
    expect(await page.locator('h1 .badge').textContent()).toBe('rolled back');
    expect(await page.locator('h1 .badge').getAttribute('class')).toContain('status-rolled-back');
    expect(await nodeOf('CreateAccessKey').getAttribute('data-status')).toBe('failed');
    expect(await nodeOf('CreateAccessKey').locator('.node-status').textContent()).toContain('failed');
    for (const state of ['CreateUser', 'AddUserToGroup', 'AttachUserPolicies']) {
      expect(await nodeOf(state).getAttribute('class')).toContain('state-rolled-back');
      expect(await nodeOf(state).locator('.node-status').textContent()).toContain('rolled back');
    }
    // The group existed (HR-700 made it) and carried its policies: the rollback left it alone.
    for (const state of ['EnsureGroup', 'AttachGroupPolicies']) {
      expect(await nodeOf(state).getAttribute('class')).toContain('state-succeeded');
      expect(await rowOf(`Undo${state}`).textContent()).toContain('nothing:');
    }
    // Two throttled invocations, then the third went through: three attempts, two retries.
    expect(await nodeOf('CreateUser').locator('.node-status').textContent()).toContain('3 attempts');
    expect(await rowOf('CreateUser').locator('td').nth(3).textContent()).toBe('3 (2 retries)');
    expect(await rowOf('CreateUser').textContent()).toContain('Throttling');
    expect(await rowOf('CreateAccessKey').textContent()).toContain('AccessDenied');
    for (const state of ['UndoCreateAccessKey', 'UndoCreateUser', 'ReportRollback']) {
      expect(await rowOf(state).getAttribute('class')).toContain('phase-rollback');
      expect(await nodeOf(state).getAttribute('class')).toContain('state-succeeded');
    }
    expect(await nodeOf('OnboardingFailed').getAttribute('class')).toContain('state-failed');
    expect(await nodeOf('OnboardingSucceeded').getAttribute('class')).toContain('state-not-run');
    expect(await page.locator('svg .edge-catch.taken').count()).toBe(1);
    const failure = await page.locator('section.failure').textContent();
    expect(failure).toContain('CreateAccessKey failed with AccessDenied');
    expect(await page.locator('section.failure ul').first().textContent()).toContain(
      'UndoCreateUser: deleted user mallory',
    );
    expect(await page.locator('table.created').count()).toBe(0);
    await screenshot('rolled-back');
  });

  it('shows a running onboarding, refreshing itself until it has ended', async () => {
    const body = JSON.stringify(request({ requestId: 'HR-702', userName: 'noor' }));
    expect((await post(serve, body, signed(serve, body))).status).toBe(202);
    await holding;
    await open('/onboardings/HR-702');
    expect(await page.locator('h1 .badge').textContent()).toBe('running');
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('2');
    expect(await nodeOf('EnsureServiceLinkedRoles').getAttribute('class')).toContain('state-running');
    expect(await nodeOf('CreateAccessKey').getAttribute('class')).toContain('state-not-run');
    expect(await rowOf('EnsureServiceLinkedRoles').textContent()).toContain('running');
    expect(await page.locator('#created-heading + p').textContent()).toContain('Nothing yet');
    await screenshot('running');
    release();
    await finalStatus(serve, 'HR-702');
    // The ledger records the end from the status-change event: the list reads it once it is written.
    await serve.stack.ledgerSettled();
    // The page's own refresh, no reload from here.
    await page.locator('h1 .badge.status-succeeded').waitFor({ timeout: 15_000 });
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
  });

  it('lists the recent requests from the ledger, newest first, each linked to its page', async () => {
    await open('');
    const rows = page.locator('table.requests tbody tr');
    const ids = await rows.locator('td:first-child').allTextContents();
    expect(ids).toEqual(['HR-702', 'HR-703', 'HR-701', 'HR-700']);
    const statusOf = async (id: string) => rows.filter({ hasText: id }).locator('.badge').textContent();
    expect(await statusOf('HR-700')).toBe('succeeded');
    expect(await statusOf('HR-701')).toBe('rolled back');
    expect(await statusOf('HR-702')).toBe('succeeded');
    await screenshot('list');
    await page.getByRole('link', { name: 'HR-701' }).click();
    await page.waitForURL(/\/ui\/onboardings\/HR-701$/);
    expect(await page.locator('h1 .request-id').textContent()).toBe('HR-701');
  });

  it('prints an injection attempt in a request field as text, running nothing of it', async () => {
    for (const path of ['', '/onboardings/HR-703']) {
      await open(path);
      expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('img[src="x"], main script').count()).toBe(0);
    }
    await open('');
    const row = page.locator('table.requests tbody tr', { hasText: 'HR-703' });
    expect(await row.locator('td').nth(1).textContent()).toBe(INJECTED_USER);
    expect(await row.locator('td').nth(2).textContent()).toBe(INJECTED_PROFILE);
    expect(dialogs).toEqual([]);
  });

  it('shows a privileged request waiting for its approval: who may approve, how, then who did', async () => {
    const admin = JSON.parse(
      await readFile(join(PROJECT_ROOT, 'examples', 'stepfunctions-admin.json'), 'utf8'),
    );
    const body = JSON.stringify({ ...admin, requestId: 'HR-704', userName: 'grace' });
    expect((await post(serve, body, signed(serve, body))).status).toBe(202);
    for (
      let i = 0;
      i < 1000 && (await serve.stack.ledgerFor('test').get('HR-704'))?.status !== 'RUNNING';
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    const approvals = new DynamoApprovalStore(
      serve.stack.clients('test').dynamodb,
      serve.stack.ledgerTable.tableName,
    );
    for (let i = 0; i < 1000 && (await approvals.get('HR-704'))?.status !== 'pending'; i++)
      await new Promise((r) => setTimeout(r, 10));
    await open('/onboardings/HR-704');
    expect(await page.locator('h1 .badge').textContent()).toBe('running');
    expect(await nodeOf('AwaitApproval').getAttribute('class')).toContain('state-waiting-for-approval');
    expect(await nodeOf('AwaitApproval').locator('.node-status').textContent()).toContain(
      'waiting for approval',
    );
    expect(await nodeOf('Plan').getAttribute('class')).toContain('state-not-run');
    const waiting = await page.locator('section.approval-pending').textContent();
    expect(waiting).toContain(
      'By alice@example.com or bob@example.com (asked by dave.requester@example.com)',
    );
    expect(waiting).toContain('onboard approve HR-704 --as <approver>');
    await screenshot('approval');

    const path = '/onboardings/HR-704/approval';
    const decision = JSON.stringify({ approver: 'bob@example.com', decision: 'approve', reason: 'on call' });
    expect((await post(serve, decision, signed(serve, decision, undefined, path), path)).status).toBe(200);
    expect((await finalStatus(serve, 'HR-704')).status).toBe('succeeded');
    await serve.stack.ledgerSettled();
    await open('/onboardings/HR-704');
    expect(await page.locator('section.approval-approved').textContent()).toMatch(
      /Approved by bob@example\.com at .+: on call\./,
    );
    expect(await nodeOf('AwaitApproval').getAttribute('class')).toContain('state-succeeded');
  });

  it("draws every state's glyph in the page's font: none is a missing glyph's box", async () => {
    await open('/');
    // The page's globals, as far as this test draws with them (the tests compile without the DOM's types).
    type Canvas = {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        font: string;
        fillText(text: string, x: number, y: number): void;
        getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
      } | null;
    };
    type Dom = {
      document: { body: unknown; createElement(tag: 'canvas'): Canvas };
      getComputedStyle(element: unknown): { font: string };
    };
    const font = await page.evaluate(() => {
      const dom = globalThis as unknown as Dom;
      return dom.getComputedStyle(dom.document.body).font;
    });
    const drawn = await page.evaluate(
      ({ glyphs, font }) => {
        const pixels = (text: string) => {
          const canvas = (globalThis as unknown as Dom).document.createElement('canvas');
          canvas.width = 64;
          canvas.height = 64;
          const g = canvas.getContext('2d');
          if (!g) throw new Error('no 2d canvas');
          g.font = font.replace(/\d+(\.\d+)?px/, '40px');
          g.fillText(text, 8, 48);
          return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
        };
        // U+0378 is unassigned: no font has it, so it draws as the missing-glyph box.
        const missing = pixels('\u0378');
        const blank = pixels(' ');
        return Object.entries(glyphs).map(([state, glyph]) => ({
          state,
          glyph,
          missing: pixels(glyph) === missing,
          blank: pixels(glyph) === blank,
        }));
      },
      { glyphs: NODE_STATE_GLYPHS, font },
    );
    expect(drawn.filter((d) => d.missing || d.blank)).toEqual([]);
  });

  it('shows no secret on any page, and asks for nothing off loopback', async () => {
    const secrets = secretValues();
    // The access keys' secrets and the API's three secrets at least.
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const path of [
      '',
      '/onboardings/HR-700',
      '/onboardings/HR-701',
      '/onboardings/HR-702',
      '/onboardings/HR-704',
    ]) {
      await open(path);
      const content = await page.content();
      for (const secret of secrets) expect(content).not.toContain(secret);
    }
    expect(browser.offLoopback).toEqual([]);
  });
});

describe('who the status page answers', () => {
  const get = (path: string, host: string) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(serve.statusPageUrl);
      const req = httpRequest({ host: url.hostname, port: url.port, path, headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

  it('refuses a host name that is not loopback (DNS rebinding), and answers loopback names', async () => {
    const port = new URL(serve.statusPageUrl).port;
    expect(await get('/ui', `attacker.example:${port}`)).toBe(421);
    expect(await get('/ui', '127.0.0.1')).toBe(421);
    expect(await get('/ui', `localhost:${port}`)).toBe(200);
    expect(await get('/ui', `127.0.0.1:${port}`)).toBe(200);
  });

  it('sends a policy that forbids scripts and framing', async () => {
    const response = await fetch(serve.statusPageUrl);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const posted = await fetch(serve.statusPageUrl, { method: 'POST', body: '' });
    expect(posted.status).toBe(405);
  });
});
