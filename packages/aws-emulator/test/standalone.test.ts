import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(join(PACKAGE_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(PACKAGE_ROOT, dir, f));
}

/** Every module specifier a file imports or re-exports: `from '...'`, `import '...'` and `import('...')`. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const patterns = [
    /^\s*(?:import|export)\b[^'";]*?\bfrom\s*'([^']+)'/gm,
    /^\s*import\s*'([^']+)'/gm,
    /\bimport\(\s*'([^']+)'\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1] ?? ''));
}

/** A bare specifier's package name: `@scope/name/sub` → `@scope/name`. */
const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

function strays(dirs: string[], allowed: Set<string>): string[] {
  const out: string[] = [];
  for (const file of dirs.flatMap(sources)) {
    for (const spec of specifiers(file)) {
      const where = relative(PACKAGE_ROOT, file);
      if (spec.startsWith('.')) {
        if (relative(PACKAGE_ROOT, resolve(dirname(file), spec)).startsWith('..'))
          out.push(`${where}: ${spec}`);
      } else if (
        !spec.startsWith('node:') &&
        !builtinModules.includes(spec) &&
        !allowed.has(packageOf(spec))
      ) {
        out.push(`${where}: ${spec}`);
      }
    }
  }
  return out;
}

// The emulator is a standalone package: the root project depends on it, never the other way round.
describe('the package stands alone', () => {
  it('imports nothing in its source but its own files, Node and its declared dependencies', () => {
    // Prepare
    const allowed = new Set(Object.keys(manifest.dependencies ?? {}));

    // Act
    const found = strays(['src'], allowed);

    // Assess
    expect(found).toEqual([]);
  });

  it('imports nothing in its tests and benchmark from outside the package', () => {
    // Prepare
    const allowed = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.devDependencies ?? {}),
    ]);

    // Act
    const found = strays(['test', 'bench'], allowed);

    // Assess
    expect(found).toEqual([]);
  });

  it('finds the imports it checks (the scan is not blind)', () => {
    // Prepare
    const server = join(PACKAGE_ROOT, 'src', 'server.ts');

    // Act
    const found = specifiers(server);

    // Assess
    expect(found).toEqual(expect.arrayContaining(['node:http', './router.ts']));
  });
});
