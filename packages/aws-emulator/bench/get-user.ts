/**
 * How fast the emulator answers GetUser: the server time inside the request handler (routing, the
 * action, the XML answer; the emulator times every call) and the round trip through the real SDK over
 * loopback (signing, HTTP, parsing). A measurement, not a test:
 * `npm run bench:emulator` from the root, or `npm run bench` in this package (BENCH_N sets the number
 * of calls; BENCH_REPORT a Markdown file to write them to).
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { CreateUserCommand, GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { startEmulator } from '../src/index.ts';

const N = Number(process.env.BENCH_N ?? 2000);
const WARM_UP = 300;

const quantile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cell = (x: number) => x.toFixed(1).padStart(9);

function row(name: string, xs: number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${name.padEnd(28)}${cell(quantile(sorted, 0.5))}${cell(quantile(sorted, 0.95))}${cell(mean(xs))}`;
}

const emulator = await startEmulator();
try {
  const iam = new IAMClient({
    region: emulator.region,
    endpoint: emulator.endpoint,
    maxAttempts: 1,
    credentials: {
      accessKeyId: emulator.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: emulator.env.AWS_SECRET_ACCESS_KEY,
    },
  });
  await iam.send(
    new CreateUserCommand({ UserName: 'bench', Path: '/onboarded/', Tags: [{ Key: 'team', Value: 'perf' }] }),
  );
  // JIT, the SDK's lazy loading and the keep-alive connection settle before anything is measured.
  for (let i = 0; i < WARM_UP; i++) await iam.send(new GetUserCommand({ UserName: 'bench' }));

  const before = emulator.serverTimings().length;
  const roundTrips: number[] = [];
  for (let i = 0; i < N; i++) {
    const started = performance.now();
    await iam.send(new GetUserCommand({ UserName: 'bench' }));
    roundTrips.push((performance.now() - started) * 1000);
  }
  const server = emulator.serverTimings().slice(before);

  const lines = [
    `GetUser x ${N} after ${WARM_UP} warm-up calls, Node ${process.versions.node}, ${process.arch}`,
    '',
    `${'microseconds'.padEnd(28)}${'p50'.padStart(9)}${'p95'.padStart(9)}${'mean'.padStart(9)}`,
    row('server (request handler)', server),
    row('SDK round trip (loopback)', roundTrips),
  ];
  for (const line of lines) console.log(line);
  // BENCH_REPORT names a Markdown file for the figures (the root's `npm run bench:emulator` sets it).
  const report = process.env.BENCH_REPORT;
  if (report) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    await writeFile(
      report,
      `# The emulator's GetUser\n\nMeasured ${when} UTC on ${availableParallelism()} cores by \`npm run bench:emulator\`.\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`,
    );
  }
} finally {
  await emulator.stop();
}
