import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { type Serve, startServe } from '../../src/local/serve.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { EXAMPLE, onboard } from './cli-helpers.ts';
import { callbackReceiver, config, finalStatus, post, signed } from './serve-helpers.ts';

/**
 * One outcome shape (docs/ticketing.md): `onboard run --json`, `onboard status --json` and
 * `GET /onboardings/{id}` answer the same JSON for the same onboarding, and the completion callback the
 * same less the timeline. Status and GET read one execution of `onboard serve`; `onboard run` runs the
 * same request, with the same faults, on its own embedded stack.
 */

let serve: Serve;
let receiver: Awaited<ReturnType<typeof callbackReceiver>>;

beforeEach(async () => {
  receiver = await callbackReceiver();
  serve = await startServe({ config, apiPort: 0, retryDelayMs: 1, callbackAllowedHosts: ['127.0.0.1'] });
});

afterEach(async () => {
  await serve.stop();
  await receiver.close();
});

/** `onboard status --json` in-process, with the exports `onboard serve` prints. */
async function statusJson(requestId: string): Promise<{ code: number; json: unknown }> {
  const saved = { ...process.env };
  Object.assign(process.env, serve.exports);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    const code = await main(['node', 'onboard', 'status', requestId, '--json']);
    return { code, json: JSON.parse(lines.join('\n')) };
  } finally {
    log.mockRestore();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** What differs between two runs of the same onboarding: times, the key id, the secret's random suffix. */
function comparable(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => comparable(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v, k)]));
  }
  if (key === 'startedAt' || key === 'stoppedAt') {
    expect(value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    return '<time>';
  }
  if (key === 'durationMs') {
    expect(value).toBeTypeOf('number');
    return '<ms>';
  }
  if (key === 'accessKeyId') return '<key id>';
  if (key === 'ciphertext') {
    expect(value).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    return '<age file>';
  }
  if (key === 'secretArn') return String(value).replace(/-[A-Za-z0-9]{6}$/, '-<suffix>');
  return value;
}

async function requestFile(): Promise<{ path: string; body: string }> {
  const request = JSON.parse(await readFile(EXAMPLE, 'utf8')) as Record<string, unknown>;
  const body = JSON.stringify({
    ...request,
    contact: {
      email: 'ada.lovelace@example.com',
      callbackUrl: receiver.url(),
      recipient: TEST_HIRE_RECIPIENT,
    },
  });
  const path = join(tmpdir(), `outcome-shape-${process.pid}-${Date.now()}.json`);
  await writeFile(path, body);
  return { path, body };
}

describe('the outcome of an onboarding', () => {
  it.each([
    {
      what: 'a succeeded onboarding',
      fault: undefined,
      exit: 0,
      keys: [
        'requestId',
        'executionArn',
        'status',
        'startedAt',
        'stoppedAt',
        'durationMs',
        'timeline',
        'created',
      ],
      status: 'succeeded',
    },
    {
      what: 'a rolled-back onboarding',
      fault: 'CreateAccessKey:AccessDenied',
      exit: 1,
      keys: [
        'requestId',
        'executionArn',
        'status',
        'startedAt',
        'stoppedAt',
        'durationMs',
        'timeline',
        'failure',
      ],
      status: 'rolled back',
    },
  ])(
    'is the same JSON from onboard run, onboard status and GET /onboardings/{id} for $what',
    async ({ fault, exit, keys, status }) => {
      // Prepare
      const { path, body } = await requestFile();
      if (fault) {
        const [action = '', error = ''] = fault.split(':');
        serve.stack.emulator?.faults.add({ action, kind: 'error', error, count: 'always' });
      }

      // Act
      expect((await post(serve, body, signed(serve, body))).status).toBe(202);
      const fromApi = await finalStatus(serve, 'HR-1042');
      const fromStatus = await statusJson('HR-1042');
      const fromRun = await onboard(['run', path, '--json', ...(fault ? ['--fail', fault] : [])]);
      await serve.notificationsSettled();

      // Assess
      expect(Object.keys(fromApi)).toEqual(keys);
      expect(fromApi.status).toBe(status);
      expect(fromStatus).toEqual({ code: exit, json: fromApi });
      expect(fromRun.code).toBe(exit);
      expect(comparable(JSON.parse(fromRun.stdout))).toEqual(comparable(fromApi));
      const { timeline: _timeline, ...summary } = fromApi;
      expect(receiver.received).toHaveLength(1);
      expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toEqual(summary);
    },
  );
});
