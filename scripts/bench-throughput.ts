/**
 * Throughput against IAM's rate limit: N onboardings started together on the local stack, with the
 * emulator answering Throttling beyond R requests per second (as IAM's control plane does), under a
 * few Retry settings. Prints a table, and writes reports/throughput.md with a chart (SVG).
 *   npm run bench:throughput            (BENCH_N, BENCH_RPS, BENCH_CONCURRENCY to change the load)
 * A measurement, not a test.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import rawConfig from '../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig } from '../src/config.ts';
import { PROJECT_ROOT } from '../src/definition.ts';
import { stackRunner } from '../src/local/onboarding.ts';
import type { ExecutionResult } from '../src/local/runner.ts';
import { openStack } from '../src/local/stack.ts';
import { validateRequest } from '../src/request.ts';

const N = Number(process.env.BENCH_N ?? 200);
const RPS = Number(process.env.BENCH_RPS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? N);
const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
/** The hires' public key: the profile hands over a console password, encrypted to it. */
const HIRE_RECIPIENT = generateX25519Identity().then(identityToRecipient);

type Retrier = Record<string, unknown>;
interface Variant {
  name: string;
  rps: number | undefined;
  concurrency: number;
  retrier?: (r: Retrier) => Retrier;
}

const VARIANTS: Variant[] = [
  { name: 'no rate limit', rps: undefined, concurrency: CONCURRENCY },
  { name: `ASL as deployed, all ${N} at once`, rps: RPS, concurrency: CONCURRENCY },
  {
    name: 'no jitter, all at once',
    rps: RPS,
    concurrency: CONCURRENCY,
    retrier: (r) => ({ ...r, JitterStrategy: 'NONE' }),
  },
  {
    name: 'old throttling retrier (6 tries, max 16 s)',
    rps: RPS,
    concurrency: CONCURRENCY,
    retrier: (r) =>
      (r.ErrorEquals as string[]).includes('Throttling') ? { ...r, MaxAttempts: 6, MaxDelaySeconds: 16 } : r,
  },
  ...[20, 10, 4].map((divisor) => ({
    name: `ASL as deployed, ${Math.max(1, Math.round(RPS / divisor))} at a time`,
    rps: RPS,
    concurrency: Math.max(1, Math.round(RPS / divisor)),
  })),
];

interface Row {
  name: string;
  seconds: number;
  ideal: number;
  efficiency: number;
  succeeded: number;
  failed: number;
  retries: number;
  throttled: number;
  callsPerOnboarding: number;
  p50: number;
  p95: number;
  transitions: number;
  invocations: number;
}

const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};

async function runVariant(variant: Variant): Promise<Row> {
  const stack = await openStack({ config, env: { AWS_REGION: 'us-east-1' } });
  try {
    const emulator = stack.emulator;
    if (!emulator) throw new Error('the benchmark needs the embedded emulator');
    if (variant.rps) emulator.faults.add({ action: '*', kind: 'rate-limit', rps: variant.rps });
    const runner = await stackRunner(stack, {
      ...(variant.retrier ? { retrierOverride: (r: Retrier) => variant.retrier?.(r) ?? r } : {}),
    });
    const callsBefore = totalCalls(emulator.calls());
    const results: ExecutionResult[] = [];
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const request = validateRequest(
          {
            requestId: `LOAD-${i}`,
            userName: `load-user-${i}`,
            profile: 'developers',
            contact: { recipient: await HIRE_RECIPIENT },
          },
          config,
        );
        results.push(await runner.run(request, { name: request.requestId }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(variant.concurrency, N) }, worker));
    const seconds = (performance.now() - started) / 1000;
    const calls = emulator.calls();
    const all = totalCalls(calls) - callsBefore;
    const throttled = throttledCalls(calls);
    const accepted = all - throttled;
    const callsPerOnboarding = accepted / N;
    // Set for every rate-limited run once all have run (see settleIdeals).
    const ideal = seconds;
    const latencies = results.map((r) => (r.stoppedAt - r.startedAt) / 1000);
    const entered = (r: ExecutionResult) => r.events.filter((e) => e.type === 'StateEntered');
    const retried = (r: ExecutionResult) => r.events.filter((e) => e.type === 'StateRetried');
    return {
      name: variant.name,
      seconds,
      ideal,
      efficiency: ideal / seconds,
      succeeded: results.filter((r) => r.status === 'SUCCEEDED').length,
      failed: results.filter((r) => r.status !== 'SUCCEEDED').length,
      retries: results.reduce((n, r) => n + retried(r).length, 0),
      throttled,
      callsPerOnboarding,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      transitions: results.reduce((n, r) => n + entered(r).length + retried(r).length, 0) / N,
      invocations:
        results.reduce(
          (n, r) => n + entered(r).filter((e) => e.stateType === 'Task').length + retried(r).length,
          0,
        ) / N,
    };
  } finally {
    await stack.close();
  }
}

/** Calls the emulator answered, whatever the answer. */
function totalCalls(
  calls: ReturnType<NonNullable<Awaited<ReturnType<typeof openStack>>['emulator']>['calls']>,
): number {
  return calls.reduce((n, c) => n + c.calls, 0);
}

function throttledCalls(
  calls: ReturnType<NonNullable<Awaited<ReturnType<typeof openStack>>['emulator']>['calls']>,
): number {
  return calls.reduce((n, c) => n + (c.faults?.['rate-limit'] ?? 0), 0);
}

/** Cost of a rolled-back onboarding: one run with a permanent failure at the last step. */
async function rolledBackCost(): Promise<{ transitions: number; invocations: number }> {
  const stack = await openStack({ config, env: { AWS_REGION: 'us-east-1' } });
  try {
    stack.emulator?.faults.add({
      action: 'CreateAccessKey',
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    });
    const runner = await stackRunner(stack);
    const request = validateRequest(
      {
        requestId: 'COST-1',
        userName: 'cost-user',
        // A profile that hands over an access key, so that CreateAccessKey is reached and fails.
        profile: 'data-engineers',
        contact: { recipient: await HIRE_RECIPIENT },
      },
      config,
    );
    const r = await runner.run(request, { name: request.requestId });
    if (
      r.status !== 'FAILED' ||
      !r.events.some((e) => e.type === 'StateEntered' && e.state === 'UndoCreateUser')
    )
      throw new Error(`the rolled-back run ended ${r.status} without rolling back: ${r.cause}`);
    const entered = r.events.filter((e) => e.type === 'StateEntered');
    return { transitions: entered.length, invocations: entered.filter((e) => e.stateType === 'Task').length };
  } finally {
    await stack.close();
  }
}

/**
 * The ideal time of a rate-limited run: the least work any run needed (the fewest accepted calls per
 * onboarding: fewer parallel plans means fewer "already exists" answers), less the bucket's initial
 * burst, at exactly the rate limit.
 */
function settleIdeals(rows: Row[]): void {
  const leastCalls = Math.min(...rows.map((r) => r.callsPerOnboarding));
  for (const [i, row] of rows.entries()) {
    const rps = VARIANTS[i]?.rps;
    if (!rps) continue;
    row.ideal = Math.max(0, N * leastCalls - rps) / rps;
    row.efficiency = row.ideal / row.seconds;
  }
}

function chart(rows: Row[]): string {
  const w = 640;
  const barH = 26;
  const h = rows.length * (barH + 14) + 50;
  const bars = rows
    .map((r, i) => {
      const y = 30 + i * (barH + 14);
      const len = Math.max(2, Math.min(1, r.efficiency) * (w - 260));
      return `<text x="8" y="${y + 17}" font-size="12">${r.name}</text><rect x="240" y="${y}" width="${len.toFixed(0)}" height="${barH}" fill="#1565c0"/><text x="${(245 + len).toFixed(0)}" y="${y + 17}" font-size="12">${(r.efficiency * 100).toFixed(0)}% (${r.seconds.toFixed(1)} s)</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif"><text x="8" y="18" font-size="14" font-weight="bold">Efficiency (ideal time / actual time), ${N} onboardings</text>${bars}</svg>\n`;
}

async function main() {
  const rows: Row[] = [];
  for (const variant of VARIANTS) {
    process.stderr.write(`running: ${variant.name} ...\n`);
    rows.push(await runVariant(variant));
  }
  settleIdeals(rows);
  const cost = await rolledBackCost();
  const header = `| settings | total s | ideal s | efficiency | ok/failed | retries | throttled calls | calls/onboarding | p50 s | p95 s | transitions/onb. | Lambda invocations/onb. |`;
  const table = [
    header,
    `|${'---|'.repeat(12)}`,
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.seconds.toFixed(1)} | ${r.ideal.toFixed(1)} | ${(r.efficiency * 100).toFixed(0)}% | ${r.succeeded}/${r.failed} | ${r.retries} | ${r.throttled} | ${r.callsPerOnboarding.toFixed(1)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.transitions.toFixed(1)} | ${r.invocations.toFixed(1)} |`,
    ),
  ].join('\n');
  const costLine = `Rolled-back onboarding (failure at CreateAccessKey): ${cost.transitions} state transitions, ${cost.invocations} Lambda invocations.`;
  console.log(
    `\n${N} onboardings, IAM limited to ${RPS} requests/s, Node ${process.versions.node}\n\n${table}\n\n${costLine}`,
  );
  const dir = join(PROJECT_ROOT, 'reports');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'throughput.svg'), chart(rows));
  await writeFile(
    join(dir, 'throughput.md'),
    `# Throughput against a rate-limited IAM\n\n${N} onboardings, ${RPS} requests/s.\n\n${table}\n\n${costLine}\n\n![efficiency](throughput.svg)\n`,
  );
  console.log(`\nreport: reports/throughput.md, chart: reports/throughput.svg`);
}

await main();
