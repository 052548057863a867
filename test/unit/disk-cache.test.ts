import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SERVERLESS_PATH } from '../../src/definition.ts';
import { parseServerless } from '../../src/deploy/roles.ts';
import { cached, cachePath, installedVersion, provenBefore } from '../../src/disk-cache.ts';
import { compiledMachine } from '../../src/local/runner.ts';

/** src/disk-cache.ts: what a CLI start would compute again from the same files, kept by content. */

const made: string[] = [];
afterEach(() => {
  vi.unstubAllEnvs();
  for (const path of made.splice(0)) rmSync(path, { force: true });
});
/** A kind of entry no other test or run uses, removed afterwards. */
function kind(): string {
  return `test-${randomUUID()}`;
}
function track(k: string, parts: string[]): string {
  const path = cachePath(k, parts);
  made.push(path);
  return path;
}

describe('the on-disk cache', () => {
  it('computes once per key and reads it back in a later call, a changed input is a miss', () => {
    const k = kind();
    track(k, ['a']);
    track(k, ['b']);
    const compute = vi.fn((x: string) => ({ parsed: x }));
    expect(cached(k, ['a'], () => compute('a'))).toEqual({ parsed: 'a' });
    expect(cached(k, ['a'], () => compute('a'))).toEqual({ parsed: 'a' });
    expect(compute).toHaveBeenCalledTimes(1);
    expect(cached(k, ['b'], () => compute('b'))).toEqual({ parsed: 'b' });
    expect(compute).toHaveBeenCalledTimes(2);
  });

  it('keys on every part, length-prefixed: ["ab", "c"] and ["a", "bc"] are two entries', () => {
    const k = kind();
    expect(cachePath(k, ['ab', 'c'])).not.toBe(cachePath(k, ['a', 'bc']));
  });

  it('treats an unreadable entry as a miss and repairs it', () => {
    const k = kind();
    const path = track(k, ['x']);
    cached(k, ['x'], () => 1);
    writeFileSync(path, '{"val');
    expect(cached(k, ['x'], () => 2)).toBe(2);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ value: 2 });
  });

  it('is off with ONBOARD_NO_CACHE=1: nothing read, nothing written', () => {
    vi.stubEnv('ONBOARD_NO_CACHE', '1');
    const k = kind();
    const path = track(k, ['y']);
    expect(cached(k, ['y'], () => 3)).toBe(3);
    expect(existsSync(path)).toBe(false);
    const verdict = provenBefore(k, ['y']);
    verdict.record();
    expect(existsSync(path)).toBe(false);
  });

  it('names the installed version of a package, whatever its exports allow', () => {
    expect(installedVersion('yaml')).toMatch(/^yaml@\d+\.\d+\.\d+:/);
    expect(installedVersion('aws-local-stepfunctions')).toMatch(/^aws-local-stepfunctions@\d+\.\d+\.\d+:/);
  });
});

describe("serverless.yml's parse, kept on disk", () => {
  it('reads back the same document, tags as their classes', async () => {
    const text = await readFile(SERVERLESS_PATH, 'utf8');
    vi.stubEnv('ONBOARD_NO_CACHE', '1');
    const fresh = parseServerless(text);
    vi.unstubAllEnvs();
    // A text of its own (a comment added), so this test writes and then reads its own entry.
    const own = `${text}\n# ${randomUUID()}\n`;
    track('yaml-serverless', [installedVersion('yaml'), own]);
    const written = parseServerless(own);
    const read = parseServerless(own);
    expect(written).toStrictEqual(fresh);
    expect(read).toStrictEqual(fresh);
    // toStrictEqual compares classes: the tags were read back as instances (a !Ref stays a Ref).
    const table = (read as unknown as { functions: Record<string, { environment?: Record<string, object> }> })
      .functions.plan?.environment?.ONBOARDING_LEDGER_TABLE;
    expect(table?.constructor.name).toBe('Ref');
  });
});

describe("the state machine's validation, once per definition", () => {
  const valid = { StartAt: 'A', States: { A: { Type: 'Succeed' } } };
  it('still refuses an invalid definition after a valid one was proven', () => {
    const def = { ...valid, Comment: randomUUID() };
    expect(() => compiledMachine(def)).not.toThrow();
    const broken = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } }, Comment: randomUUID() };
    expect(() => compiledMachine(broken)).toThrow(/State machine definition is invalid/);
    // Refused again in a later call: a refusal is not recorded as proven.
    expect(() => compiledMachine(broken)).toThrow(/State machine definition is invalid/);
  });
});
