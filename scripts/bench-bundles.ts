/**
 * Bundle size and cold import time of every packaged Lambda (.serverless/*.zip, from `npm run package`),
 * measured as deployed — the bundle with its source map, imported by a fresh Node process with
 * `--enable-source-maps` (serverless.yml sets NODE_OPTIONS so) — next to the same entry points built in
 * this run with the old settings: serverless.yml's custom.esbuild without `mainFields`, `alias` and
 * `sourcesContent` (the SDK's CommonJS build, its default credential chain, every source copied into the
 * map). New and old imports alternate, run after run, so that a busy machine slows both alike; each
 * figure is the median of RUNS. The old side is built from today's sources: what the code itself shed
 * (zod's locales, DynamoDB outside Plan and AwaitApproval) is in both. Writes reports/bundles.md and
 * reports/bundles.json. A measurement, not a test: `npm run bench:bundles`.
 *
 * BENCH_OLD_PACKAGE=<another checkout's .serverless> takes the old side from that package's zips
 * instead (e.g. main's, packaged from `git archive main`): old code and old settings, as deployed;
 * the figures go to reports/bundles-vs-package.md and .json then.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';
import { declaredCallsByFunction } from '../src/declarations.ts';
import { loadServerlessFunctions, PROJECT_ROOT, SERVERLESS_PATH } from '../src/definition.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const dir = join(PROJECT_ROOT, '.serverless');
if (!existsSync(dir)) {
  console.error('no .serverless/ folder: run `npm run package` first');
  process.exit(1);
}

/** The deploy's Node options (provider.environment.NODE_OPTIONS), on every import measured here. */
const serverless = parse(readFileSync(SERVERLESS_PATH, 'utf8'), { logLevel: 'error' }) as {
  provider: { environment?: Record<string, unknown> };
  custom: { esbuild: Record<string, unknown> };
};
const nodeOptions = String(serverless.provider.environment?.NODE_OPTIONS ?? '')
  .split(/\s+/)
  .filter(Boolean);

/** serverless-esbuild's own keys, which it takes out before calling esbuild (its bundle.ts). */
const PLUGIN_KEYS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];
/** What made the bundles lighter: the old configuration is today's without them. */
const NEW_KEYS = ['mainFields', 'alias', 'sourcesContent'];

const esbuildConfig = serverless.custom.esbuild;
const oldOptions = Object.fromEntries(
  Object.entries(esbuildConfig).filter(([k]) => !PLUGIN_KEYS.includes(k) && !NEW_KEYS.includes(k)),
) as BuildOptions;
const removed = NEW_KEYS.filter((k) => k in esbuildConfig);

const functions = await loadServerlessFunctions();
const calls = await declaredCallsByFunction();
const work = mkdtempSync(join(tmpdir(), 'bundles-'));

/** One bundle per handler file: a Task's handler and its undo share it (and its figures). */
interface Bundle {
  entry: string;
  keys: string[];
  newFile: string;
  oldFile: string;
  newMs: number[];
  oldMs: number[];
}
const bundles = new Map<string, Bundle>();
for (const [key, fn] of Object.entries(functions)) {
  const entry = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`;
  const existing = bundles.get(entry);
  if (existing) {
    existing.keys.push(key);
    continue;
  }
  const target = join(work, 'new', key);
  mkdirSync(target, { recursive: true });
  execFileSync('unzip', ['-q', '-o', join(dir, `${key}.zip`), '-d', target]);
  const folder = join(target, 'functions');
  const mjs = readdirSync(folder).find((f) => f.endsWith('.mjs'));
  if (!mjs) throw new Error(`${key}.zip holds no functions/*.mjs`);
  bundles.set(entry, { entry, keys: [key], newFile: join(folder, mjs), oldFile: '', newMs: [], oldMs: [] });
}

const oldPackage = process.env.BENCH_OLD_PACKAGE;
const oldDir = join(work, 'old');
if (oldPackage) {
  for (const b of bundles.values()) {
    const key = b.keys[0] ?? '';
    const target = join(oldDir, key);
    mkdirSync(target, { recursive: true });
    execFileSync('unzip', ['-q', '-o', join(oldPackage, `${key}.zip`), '-d', target]);
    b.oldFile = join(target, b.newFile.slice(join(work, 'new', key).length));
  }
} else {
  await build({
    ...oldOptions,
    entryPoints: [...bundles.keys()].map((entry) => join(PROJECT_ROOT, entry)),
    outbase: PROJECT_ROOT,
    outdir: oldDir,
    outExtension: { '.js': String(esbuildConfig.outputFileExtension ?? '.js') },
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'error',
  });
  for (const b of bundles.values()) {
    b.oldFile = join(oldDir, b.entry.replace(/\.ts$/, String(esbuildConfig.outputFileExtension ?? '.js')));
  }
}
for (const b of bundles.values()) {
  if (!existsSync(b.oldFile)) throw new Error(`no old bundle ${b.oldFile}`);
}

function coldImportMs(file: string): number {
  const out = spawnSync(
    process.execPath,
    [
      ...nodeOptions,
      '--input-type=module',
      '-e',
      `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`,
    ],
    { encoding: 'utf8' },
  );
  if (out.status !== 0) throw new Error(`importing ${file} failed: ${out.stderr}`);
  return Number(out.stdout.trim());
}

const list = [...bundles.values()];
for (let run = 0; run < RUNS; run++) {
  for (const b of list) {
    // Alternate which side goes first, so that neither always follows the other's cache warm-up.
    if (run % 2 === 0) {
      b.newMs.push(coldImportMs(b.newFile));
      b.oldMs.push(coldImportMs(b.oldFile));
    } else {
      b.oldMs.push(coldImportMs(b.oldFile));
      b.newMs.push(coldImportMs(b.newFile));
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const kb = (file: string) => statSync(file).size / 1024;

interface Row {
  function: string;
  awsCalling: boolean;
  kbNew: number;
  kbOld: number;
  msNew: number;
  msOld: number;
  ratio: number;
}
const rows: Row[] = [];
for (const b of list) {
  const msNew = median(b.newMs);
  const msOld = median(b.oldMs);
  for (const key of b.keys) {
    rows.push({
      function: key,
      awsCalling: (calls[key]?.length ?? 0) > 0,
      kbNew: kb(b.newFile),
      kbOld: kb(b.oldFile),
      msNew,
      msOld,
      ratio: msNew / msOld,
    });
  }
}
const aws = rows.filter((r) => r.awsCalling);
const largestKb = Math.max(...aws.map((r) => r.kbNew));
const worstRatio = Math.max(...aws.map((r) => r.ratio));

const header = [
  `Lambda bundles as deployed (esbuild ${Object.keys(oldOptions).join(', ')}; bundle and source map; node ${nodeOptions.join(' ')}), Node ${process.versions.node}.`,
  oldPackage
    ? `new: .serverless/*.zip as packaged; old: ${oldPackage}/*.zip as packaged there.`
    : `new: .serverless/*.zip as packaged; old: the same entry points built now without ${removed.join(', ')}.`,
  `cold import: a fresh process per import, median of ${RUNS} interleaved runs; ratio = new median / old median.`,
  `A Task's handler and its undo share one bundle: measured once, shown for both. * : makes AWS calls.`,
];
const table = [
  `${'function'.padEnd(30)} ${'KB new'.padStart(8)} ${'KB old'.padStart(8)} ${'ms new'.padStart(8)} ${'ms old'.padStart(8)} ${'ratio'.padStart(6)}`,
  ...rows.map(
    (r) =>
      `${`${r.function}${r.awsCalling ? ' *' : ''}`.padEnd(30)} ${r.kbNew.toFixed(0).padStart(8)} ${r.kbOld.toFixed(0).padStart(8)} ${r.msNew.toFixed(1).padStart(8)} ${r.msOld.toFixed(1).padStart(8)} ${r.ratio.toFixed(2).padStart(6)}`,
  ),
];
const summary = [
  `largest AWS-calling bundle KB: ${largestKb.toFixed(0)}`,
  `cold import ratio (new/old): ${worstRatio.toFixed(2)}`,
];

console.log([...header, '', ...table, '', ...summary].join('\n'));

const reports = join(PROJECT_ROOT, 'reports');
const reportName = oldPackage ? 'bundles-vs-package' : 'bundles';
mkdirSync(reports, { recursive: true });
writeFileSync(
  join(reports, `${reportName}.json`),
  `${JSON.stringify(
    {
      node: process.versions.node,
      nodeOptions,
      runs: RUNS,
      old: oldPackage ? { package: oldPackage } : { builtWithout: removed },
      largestAwsCallingBundleKb: Number(largestKb.toFixed(0)),
      coldImportRatioWorst: Number(worstRatio.toFixed(2)),
      functions: rows,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  join(reports, `${reportName}.md`),
  [
    '# Lambda bundles (`npm run bench:bundles`)',
    '',
    ...header.map((l) => `${l}  `),
    '',
    '| function | AWS calls | KB new | KB old | cold ms new | cold ms old | ratio |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.function} | ${r.awsCalling ? 'yes' : 'no'} | ${r.kbNew.toFixed(0)} | ${r.kbOld.toFixed(0)} | ${r.msNew.toFixed(1)} | ${r.msOld.toFixed(1)} | ${r.ratio.toFixed(2)} |`,
    ),
    '',
    ...summary.map((l) => `- ${l}`),
    '',
  ].join('\n'),
);
console.log(`\nreport: reports/${reportName}.md, reports/${reportName}.json`);
