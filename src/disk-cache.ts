import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from './paths.ts';

/**
 * What a CLI start would otherwise compute again from the same files on every run: the YAML parse of
 * the state machine and serverless.yml, and the state machine's validation. Each entry is keyed by a
 * SHA-256 of everything its result depends on (the tool's version and the exact input text), so an
 * edited file or an upgraded parser is a miss, never a stale hit. It lives where the tools of the npm
 * ecosystem keep theirs (`node_modules/.cache/<name>`: deleted by `npm ci`, never committed);
 * `ONBOARD_NO_CACHE=1` turns it off. A cache that cannot be read or written is a miss, not an error:
 * the value is computed as if there were none.
 */
export const CACHE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'iam-onboarding');

function enabled(): boolean {
  return process.env.ONBOARD_NO_CACHE !== '1';
}

/** The file that holds the entry for `parts` (a kind and everything the value depends on). */
export function cachePath(kind: string, parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of [kind, ...parts]) hash.update(`${part.length}:${part}`);
  return join(CACHE_DIR, `${kind}-${hash.digest('hex').slice(0, 32)}.json`);
}

/** How values that are not plain JSON (class instances) are written and read back. */
export interface Codec {
  replacer(key: string, value: unknown): unknown;
  reviver(key: string, value: unknown): unknown;
}

function read(path: string, codec?: Codec): { value: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8'), codec?.reviver) as { value: unknown };
  } catch {
    return undefined;
  }
}

/** Whole or not at all: written beside its place and renamed over it (a crash leaves no half entry). */
function write(path: string, value: unknown, codec?: Codec): void {
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(tmp, JSON.stringify({ value }, codec?.replacer));
    renameSync(tmp, path);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/**
 * `compute()`'s value for `parts`, from the cache when an earlier run stored it. The value must survive
 * JSON unchanged (plain data: a YAML document, a verdict), or through `codec`.
 */
export function cached<T>(kind: string, parts: string[], compute: () => T, codec?: Codec): T {
  if (!enabled()) return compute();
  const path = cachePath(kind, parts);
  const hit = read(path, codec);
  if (hit && 'value' in hit) return hit.value as T;
  const value = compute();
  write(path, value, codec);
  return value;
}

/**
 * A YAML text's parse, kept on disk by the text and the installed `yaml` version; `kind` names the
 * parse (its options and tags), `codec` carries values JSON cannot (custom tags' classes).
 */
export function cachedYamlParse<T>(kind: string, text: string, parse: (text: string) => T, codec?: Codec): T {
  return cached(kind, [installedVersion('yaml'), text], () => parse(text), codec);
}

/** Whether an earlier run recorded `parts` as proven (a validation that passed); `record` stores it. */
export function provenBefore(kind: string, parts: string[]): { proven: boolean; record(): void } {
  const path = cachePath(kind, parts);
  return {
    proven: enabled() && read(path)?.value === true,
    record: () => {
      if (enabled()) write(path, true);
    },
  };
}

/**
 * The installed version of package `name` (resolved from `from`, a file path), for a cache key: an
 * upgrade is a miss. Found by walking up from its entry point, whatever its `exports` allow.
 */
export function installedVersion(name: string, from = join(PROJECT_ROOT, 'package.json')): string {
  const key = `${name}\0${from}`;
  let found = VERSIONS.get(key);
  if (!found) {
    found = findVersion(name, from);
    VERSIONS.set(key, found);
  }
  return found;
}

const VERSIONS = new Map<string, string>();

function findVersion(name: string, from: string): string {
  let dir = dirname(createRequire(from).resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return `${name}@${pkg.version}:${dir}`;
    } catch {
      // not the package's root yet
    }
    const up = dirname(dir);
    if (up === dir) return `${name}@unknown`;
    dir = up;
  }
}
