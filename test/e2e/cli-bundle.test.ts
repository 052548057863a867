import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE, BUNDLE_INPUTS, freshBundle } from '../../bin/cli-bundle.js';
import { warmCaches } from '../../scripts/build-cli.mjs';
import { PROJECT_ROOT } from '../../src/definition.ts';
import { CACHE_DIR } from '../../src/disk-cache.ts';
import { cleanEnv, EXAMPLE, onboard } from './cli-helpers.ts';

/**
 * bin/onboard.js runs the CLI's bundle (scripts/build-cli.mjs) only while it is newer than every source
 * it was built from, and the TypeScript sources otherwise: an edit is never shadowed by an old build.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project folder with a bundle built at `builtAt` from two sources, last changed at `changed`. */
function project(builtAt: number, changed: number): string {
  const root = mkdtempSync(join(tmpdir(), 'cli-bundle-'));
  dirs.push(root);
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'src'));
  for (const f of ['src/a.ts', 'src/b.ts']) {
    writeFileSync(join(root, f), '');
    utimesSync(join(root, f), changed / 1000, changed / 1000);
  }
  writeFileSync(join(root, BUNDLE), '');
  writeFileSync(join(root, BUNDLE_INPUTS), JSON.stringify({ builtAt, inputs: ['src/a.ts', 'src/b.ts'] }));
  return root;
}

describe('which CLI runs', () => {
  const t = Date.now() - 60_000;

  it('the bundle, when it is newer than every source it lists', () => {
    const root = project(t, t - 1_000);
    expect(freshBundle(root, {})).toBe(join(root, BUNDLE));
  });

  it('the sources, when one of them changed after the build (or as the build ran)', () => {
    const root = project(t, t - 1_000);
    utimesSync(join(root, 'src/b.ts'), (t + 5_000) / 1000, (t + 5_000) / 1000);
    expect(freshBundle(root, {})).toBeUndefined();
    expect(freshBundle(project(t, t + 1), {})).toBeUndefined();
  });

  it('the sources, when a listed source is gone, the list is unreadable, or there is no bundle', () => {
    const gone = project(t, t - 1_000);
    rmSync(join(gone, 'src/a.ts'));
    expect(freshBundle(gone, {})).toBeUndefined();
    const garbled = project(t, t - 1_000);
    writeFileSync(join(garbled, BUNDLE_INPUTS), '{"builtAt":');
    expect(freshBundle(garbled, {})).toBeUndefined();
    const none = project(t, t - 1_000);
    rmSync(join(none, BUNDLE));
    expect(freshBundle(none, {})).toBeUndefined();
  });

  it('the sources, when ONBOARD_FROM_SOURCE=1 asks for them', () => {
    expect(freshBundle(project(t, t - 1_000), { ONBOARD_FROM_SOURCE: '1' })).toBeUndefined();
  });

  it("this project's bundle in these tests (the e2e setup builds it when a source is newer)", () => {
    expect(freshBundle(PROJECT_ROOT, {})).toBe(join(PROJECT_ROOT, BUNDLE));
  });
});

describe('an onboarding from the bundle and from the sources', () => {
  it('reads the same: the bundle carries every function the runner loads', async () => {
    // The steps and what was created, without timings and generated ids.
    const summary = (stdout: string) =>
      stdout
        .split('\n')
        .filter((l) => /^\s+(✓ |user\b|group\b|attached\b|service role\b|access key\b)/.test(l))
        .map((l) => l.replace(/\d+ ms|AKIA[A-Z0-9]+/g, '').trim());
    const [bundled, sources] = await Promise.all([
      onboard(['run', EXAMPLE]),
      onboard(['run', EXAMPLE], cleanEnv({ ONBOARD_FROM_SOURCE: '1' })),
    ]);
    expect(bundled.stderr).toBe('');
    expect(sources.stderr).toBe('');
    expect(bundled.code).toBe(0);
    expect(sources.code).toBe(0);
    expect(summary(bundled.stdout)).toContain('✓ CreateAccessKey');
    expect(summary(bundled.stdout)).toEqual(summary(sources.stdout));
  });
});

describe("npm ci's warm-up (scripts/build-cli.mjs --warm)", () => {
  it('fills the start caches on the embedded stack, never an endpoint of the shell', () => {
    // Endpoints in the installer's shell that nothing listens on: a run that used them would fail
    // (connection refused), and the warm-up would say it could not warm.
    const saved = { ...process.env };
    const logs: string[] = [];
    const log = console.log;
    try {
      process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
      process.env.AWS_ENDPOINT_URL_IAM = 'http://127.0.0.1:9';
      process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:9';
      console.log = (line: string) => logs.push(line);
      warmCaches(PROJECT_ROOT);
    } finally {
      console.log = log;
      process.env = saved;
    }
    expect(logs.join('\n')).toMatch(/^warmed the CLI's caches \(one onboarding on the embedded stack\)/);
    expect(readdirSync(CACHE_DIR).some((f) => f.startsWith('asl-valid-'))).toBe(true);
  });
});
