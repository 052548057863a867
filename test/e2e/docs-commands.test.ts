import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/definition.ts';
import { type Serve, startServe } from '../../src/local/serve.ts';
import { onboardInProcess } from './cli-helpers.ts';
import { bearer, config, finalStatus } from './serve-helpers.ts';

/**
 * Every `npx onboard ...` line of the README's and the docs' shell blocks, run as written: on the
 * embedded stack (`run`, `plan`, `graph`, `schema`), or against one `onboard serve` in the order the
 * documents give them (`start`, `status`, `approve`, `list`), each expected to end with the exit code
 * its comment states (`exit N`), else 0. A line is skipped only for a reason named here (a real
 * account, another endpoint, a long-running command, the member's own key); a documented command this
 * test cannot place fails it, so a new line in the docs is run or deliberately skipped. (The npm
 * scripts — `npm ci && npm start`, `npm test`, `npm run package` — are what CI itself runs.)
 */

interface DocLine {
  file: string;
  line: string;
  args: string[];
  comment: string;
  /** An `export AWS_ENDPOINT_URL...` came before it in the same document: the shell has other endpoints. */
  otherEndpoint: boolean;
}

/** Shell words of a line, as sh splits them (quotes, no expansion: the docs' lines need none). */
function words(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

async function docLines(): Promise<DocLine[]> {
  const docs = (await readdir(join(PROJECT_ROOT, 'docs'))).filter((f) => f.endsWith('.md')).sort();
  const files = ['README.md', ...docs.map((f) => `docs/${f}`), 'packages/aws-emulator/README.md'];
  const out: DocLine[] = [];
  for (const file of files) {
    const text = await readFile(join(PROJECT_ROOT, file), 'utf8');
    let otherEndpoint = false;
    for (const block of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
      for (const raw of (block[1] ?? '').split('\n')) {
        if (/^\s*export AWS_ENDPOINT_URL/.test(raw)) otherEndpoint = true;
        const m = /^\s*npx onboard (.*?)\s*(?:#\s*(.*))?$/.exec(raw);
        if (!m) continue;
        const command = (m[1] ?? '').replace(/\s*&$/, '');
        out.push({ file, line: raw.trim(), args: words(command), comment: m[2] ?? '', otherEndpoint });
      }
    }
  }
  return out;
}

const lines = await docLines();
const expectedCode = (l: DocLine) => Number(/\bexit (\d)\b/.exec(l.comment)?.[1] ?? 0);

/** Why a line is not run here (and where it is tested instead), or undefined to run it. */
function skipped(l: DocLine): string | undefined {
  const [command] = l.args;
  if (l.args.includes('--aws')) return 'a real AWS account';
  if (l.otherEndpoint)
    return 'the endpoints of LocalStack, moto or `onboard emulator` (test/e2e/bootstrap.test.ts runs them on one)';
  if (command === 'serve' || command === 'emulator')
    return 'runs until Ctrl-C (test/e2e/serve.test.ts, the emulator tests)';
  if (command === 'bootstrap') return 'needs `onboard emulator` endpoints (test/e2e/bootstrap.test.ts)';
  if (command === 'reveal') return "the new member's own private key (test/e2e/reveal.test.ts)";
  if (command === 'restore')
    return 'an offboarding waiting in its grace period on `onboard serve` (test/e2e/serve-offboardings.test.ts)';
  return undefined;
}

const EMBEDDED = new Set(['run', 'plan', 'graph', 'schema']);
const AGAINST_SERVE = new Set(['start', 'status', 'approve', 'list']);

describe('the commands of the README and the docs', () => {
  it('finds them, and places every one: run here, or skipped for a named reason', () => {
    expect(lines.length).toBeGreaterThan(15);
    const unplaced = lines.filter(
      (l) => !skipped(l) && !EMBEDDED.has(l.args[0] ?? '') && !AGAINST_SERVE.has(l.args[0] ?? ''),
    );
    expect(unplaced.map((l) => `${l.file}: ${l.line}`)).toEqual([]);
  });

  for (const l of lines.filter((x) => !skipped(x) && EMBEDDED.has(x.args[0] ?? ''))) {
    it(`${l.file}: npx onboard ${l.args.join(' ')} → exit ${expectedCode(l)}`, async () => {
      const { code, out } = await onboardInProcess(l.args);
      expect(code, out).toBe(expectedCode(l));
    });
  }
});

describe('the commands the docs run against onboard serve, in their order', () => {
  let serve: Serve;
  const served = lines.filter((l) => !skipped(l) && AGAINST_SERVE.has(l.args[0] ?? ''));
  beforeAll(async () => {
    serve = await startServe({ config, apiPort: 0, retryDelayMs: 1 });
    // The docs' request ids (HR-1042 of examples/new-hire.json) exist, as after the README's first run.
    expect((await onboardInProcess(['start', 'examples/new-hire.json'], serve.exports)).code).toBe(0);
    await finalStatus(serve, 'HR-1042');
    await serve.stack.ledgerSettled();
  });
  afterAll(async () => {
    await serve?.stop();
  });

  /** An approval is given once the execution waits for it, as a person reading the status would. */
  async function pendingApproval(requestId: string): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const r = await fetch(`${serve.apiUrl}/onboardings/${requestId}`, { headers: bearer(serve) });
      if (
        r.status === 200 &&
        ((await r.json()) as { approval?: { status: string } }).approval?.status === 'pending'
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`${requestId} never waited for an approval`);
  }

  for (const l of served) {
    it(`${l.file}: npx onboard ${l.args.join(' ')} → exit ${expectedCode(l)}`, async () => {
      if (l.args[0] === 'approve' && l.args[1]) await pendingApproval(l.args[1]);
      const { code, out } = await onboardInProcess(l.args, serve.exports);
      expect(code, out).toBe(expectedCode(l));
    });
  }
});
