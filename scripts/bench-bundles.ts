/**
 * Bundle size and cold import time of every packaged Lambda (.serverless/*.zip, from `npm run package`),
 * next to a naive bundle of the whole IAM client for comparison. Each import runs in a fresh Node
 * process, like a cold start; the median of RUNS is shown. A measurement, not a test: `npm run bench:bundles`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../src/definition.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const dir = join(PROJECT_ROOT, '.serverless');
if (!existsSync(dir)) {
  console.error('no .serverless/ folder: run `npm run package` first');
  process.exit(1);
}

function coldImportMs(file: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`,
      ],
      { encoding: 'utf8' },
    );
    if (out.status !== 0) throw new Error(`importing ${file} failed: ${out.stderr}`);
    times.push(Number(out.stdout.trim()));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

const work = mkdtempSync(join(tmpdir(), 'bundles-'));
const rows: { name: string; kb: number; zipKb: number; ms: number }[] = [];
for (const zip of readdirSync(dir).filter((f) => f.endsWith('.zip'))) {
  const name = zip.replace(/\.zip$/, '');
  const target = join(work, name);
  execFileSync('unzip', ['-q', '-o', join(dir, zip), '-d', target]);
  const bundle = join(
    target,
    'functions',
    readdirSync(join(target, 'functions')).find((f) => f.endsWith('.mjs')) ?? '',
  );
  rows.push({
    name,
    kb: statSync(bundle).size / 1024,
    zipKb: statSync(join(dir, zip)).size / 1024,
    ms: coldImportMs(bundle),
  });
}

const naiveEntry = join(work, 'naive-entry.mjs');
writeFileSync(naiveEntry, "export * from '@aws-sdk/client-iam';\n");
const naiveOut = join(work, 'naive-iam.mjs');
await build({
  entryPoints: [naiveEntry],
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  outfile: naiveOut,
  // The same require shim the Lambda bundles carry (serverless.yml custom.esbuild.banner).
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  nodePaths: [join(PROJECT_ROOT, 'node_modules')],
  logLevel: 'silent',
});
rows.push({
  name: '(naive: all of @aws-sdk/client-iam)',
  kb: statSync(naiveOut).size / 1024,
  zipKb: 0,
  ms: coldImportMs(naiveOut),
});

console.log(
  `Lambda bundles (esbuild, minified, node22, ESM), cold import median of ${RUNS}, Node ${process.versions.node}\n`,
);
console.log(
  `${'function'.padEnd(38)} ${'bundle KB'.padStart(10)} ${'zip KB'.padStart(8)} ${'cold import ms'.padStart(15)}`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(38)} ${r.kb.toFixed(0).padStart(10)} ${(r.zipKb ? r.zipKb.toFixed(0) : '-').padStart(8)} ${r.ms.toFixed(1).padStart(15)}`,
  );
}
