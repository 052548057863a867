// Builds the `onboard` CLI into one ES module (dist/onboard.mjs), so that a start loads one file
// instead of compiling a few hundred TypeScript modules: `npm ci` runs it (the `prepare` script, with
// --warm: one onboarding on the embedded stack fills the start caches), and so
// can `npm run build`. bin/onboard.js uses the bundle only while it is newer than every source it was
// built from (dist/onboard.inputs.json), and runs the sources through tsx otherwise: an edit is never
// shadowed by an old build.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds dist/onboard.mjs (and its map and its list of inputs) for the project at `root`. */
export async function buildCli(root = ROOT, { quiet = false } = {}) {
  // In dist/, one level below the root, as src/ is: src/paths.ts finds the root from the module's URL.
  const out = join(root, 'dist');
  const functions = readdirSync(join(root, 'functions'))
    .filter((f) => f.endsWith('.ts'))
    .sort();
  // The entry: the CLI's main, and every functions/ module linked in for the local runner.
  const entry = [
    "import { linkFunctionModules } from './src/local/function-modules.ts';",
    ...functions.map((f, i) => `import * as f${i} from './functions/${f}';`),
    `linkFunctionModules({ ${functions.map((f, i) => `'functions/${f}': f${i}`).join(', ')} });`,
    "export { main } from './src/cli/main.ts';",
  ].join('\n');

  const started = Date.now();
  const tmp = join(out, `.build-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await build({
      stdin: { contents: entry, resolveDir: root, sourcefile: 'onboard-entry.ts', loader: 'ts' },
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      outfile: join(tmp, 'onboard.mjs'),
      banner: {
        js: "import { createRequire as __onboardRequire } from 'node:module'; const require = __onboardRequire(import.meta.url);",
      },
      // Loaded from node_modules as they are: packages whose files are read at run time.
      external: ['dynalite', 'playwright-core', 'esbuild', 'fsevents', '@cloud-copilot/*'],
      mainFields: ['module', 'main'],
      metafile: true,
      sourcemap: 'linked',
      logLevel: 'warning',
    });
    // What the bundle was built from, outside node_modules (which `npm ci` replaces, rebuilding it).
    const inputs = Object.keys(result.metafile.inputs)
      .filter((f) => !f.includes('node_modules/') && f !== 'onboard-entry.ts')
      .map((f) => relative(root, join(root, f)))
      .sort();
    writeFileSync(
      join(tmp, 'onboard.inputs.json'),
      `${JSON.stringify({ builtAt: started, inputs }, null, 1)}\n`,
    );
    mkdirSync(out, { recursive: true });
    for (const f of ['onboard.mjs', 'onboard.mjs.map', 'onboard.inputs.json'])
      renameSync(join(tmp, f), join(out, f));
    if (!quiet)
      console.log(`built dist/onboard.mjs from ${inputs.length} sources in ${Date.now() - started} ms`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * One onboarding of examples/new-hire.json on the embedded stack, output discarded: it fills what a
 * start keeps in node_modules/.cache (the state machine's validation, the YAML parses, V8's code
 * cache), so the first `npm start` after `npm ci` is as fast as the next. Always the embedded stack:
 * the shell's AWS_* and ONBOARDING_* variables are left out, so no endpoint or account of the shell's
 * is ever reached. Best effort: a failure here is the first `npm start`'s to report.
 */
export function warmCaches(root = ROOT) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('ONBOARDING_')),
  );
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    [join(root, 'bin', 'onboard.js'), 'run', join(root, 'examples', 'new-hire.json')],
    {
      cwd: root,
      env: { ...env, NO_COLOR: '1' },
      stdio: 'ignore',
      timeout: 60_000,
    },
  );
  console.log(
    run.status === 0
      ? `warmed the CLI's caches (one onboarding on the embedded stack) in ${Date.now() - started} ms`
      : `could not warm the CLI's caches (onboard run exited ${run.status ?? run.signal}); the first start fills them`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildCli();
  if (process.argv.includes('--warm')) warmCaches();
}
