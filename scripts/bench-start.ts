/**
 * How long `npm start` takes, wall clock, as a newcomer runs it after `npm ci` (one onboarding on the
 * embedded stack): the CLI from its bundle with its caches warm (bin/onboard.js), next to the same run
 * from the TypeScript sources with no cache (ONBOARD_FROM_SOURCE=1 ONBOARD_NO_CACHE=1: how every start
 * ran before the bundle), interleaved run by run; and `npm start` itself, npm's own start included.
 * A measurement, not a test: `npm run bench:start` (BENCH_RUNS, default 7). Writes reports/bench-start.md.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freshBundle } from '../bin/cli-bundle.js';
import { PROJECT_ROOT } from '../src/definition.ts';
import { writeReport } from './bench-report.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const BIN = join(PROJECT_ROOT, 'bin', 'onboard.js');
const EXAMPLE = join(PROJECT_ROOT, 'examples', 'new-hire.json');

if (!freshBundle(PROJECT_ROOT)) {
  console.error('the CLI bundle is missing or older than its sources: run `npm run build` first');
  process.exit(1);
}

/** The shell a newcomer has: no AWS endpoint, no onboarding settings. */
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('ONBOARDING_')),
);

function wallSeconds(command: string, args: string[], extra: Record<string, string> = {}): number {
  const t = performance.now();
  const out = spawnSync(command, args, { cwd: PROJECT_ROOT, env: { ...env, ...extra }, encoding: 'utf8' });
  const s = (performance.now() - t) / 1000;
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${out.status}: ${out.stderr}`);
  return s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const bundled: number[] = [];
const sources: number[] = [];
const npmStart: number[] = [];
// One unmeasured run of each, so the caches hold what a second start finds.
wallSeconds(process.execPath, [BIN, 'run', EXAMPLE]);
for (let i = 0; i < RUNS; i++) {
  const order = i % 2 === 0 ? ['bundle', 'sources'] : ['sources', 'bundle'];
  for (const side of order) {
    if (side === 'bundle') bundled.push(wallSeconds(process.execPath, [BIN, 'run', EXAMPLE]));
    else
      sources.push(
        wallSeconds(process.execPath, [BIN, 'run', EXAMPLE], {
          ONBOARD_FROM_SOURCE: '1',
          ONBOARD_NO_CACHE: '1',
        }),
      );
  }
  npmStart.push(wallSeconds('npm', ['start', '--silent']));
}

const lines = [
  `${RUNS} runs each, interleaved, one onboarding on the embedded stack; medians (min - max)`,
  `onboard run, bundle + caches:          ${median(bundled).toFixed(2)} s (${Math.min(...bundled).toFixed(2)} - ${Math.max(...bundled).toFixed(2)})`,
  `onboard run, sources, no cache:        ${median(sources).toFixed(2)} s (${Math.min(...sources).toFixed(2)} - ${Math.max(...sources).toFixed(2)})`,
  `npm start (npm's own start included):  ${median(npmStart).toFixed(2)} s (${Math.min(...npmStart).toFixed(2)} - ${Math.max(...npmStart).toFixed(2)})`,
];
for (const line of lines) console.log(line);
await writeReport('bench-start', '`npm start`: one onboarding from a newcomer shell', lines);
