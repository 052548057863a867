/**
 * The local runner's overhead: wall time of one onboarding through the state machine (interpreter,
 * handlers, JSON state, and the handlers' own Step Functions and DynamoDB calls: verifying their event,
 * recording the ledger) against the same IAM and Secrets Manager calls made directly with the SDK, on
 * the same embedded emulator. Honest by construction:
 * - matched calls: the direct side replays the exact IAM and Secrets Manager commands a warm
 *   onboarding sent (recorded at the SDK, inputs renamed to a user of its own), and every pair is
 *   checked to make the same calls, or the benchmark fails;
 * - interleaved: the two sides alternate pair by pair (and which one goes first), so that a warmer
 *   JIT, a fuller account or a busy moment weighs on both; the figure is the min and median of the
 *   per-pair ratios.
 * A measurement, not a test: `npm run bench:onboarding` (BENCH_N pairs, default 30). Writes
 * reports/bench-onboarding.md.
 */
import * as iamCommands from '@aws-sdk/client-iam';
import * as smCommands from '@aws-sdk/client-secrets-manager';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import rawConfig from '../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig } from '../src/config.ts';
import { bindTasks, loadAsl } from '../src/definition.ts';
import { stackRunner } from '../src/local/onboarding.ts';
import { openStack } from '../src/local/stack.ts';
import { validateRequest } from '../src/request.ts';
import { writeReport } from './bench-report.ts';

const N = Number(process.env.BENCH_N ?? 30);
const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
const PROFILE = 'developers';

/** The part of an SDK client the recorder uses (one type for the IAM and the Secrets Manager client). */
interface Recordable {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input: unknown }) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: { input: unknown }) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

interface Sender {
  send(command: unknown): Promise<unknown>;
}

interface Sent {
  service: 'iam' | 'secrets';
  command: string;
  input: unknown;
}
/** The calls of one side, as `service:Command` counts. */
const countsOf = (sent: Sent[]) => {
  const counts: Record<string, number> = {};
  for (const s of sent) counts[`${s.service}:${s.command}`] = (counts[`${s.service}:${s.command}`] ?? 0) + 1;
  return counts;
};

const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};

const row = (name: string, ms: number[]) =>
  `${name.padEnd(34)} ${quantile(ms, 0.5).toFixed(1).padStart(8)} ${quantile(ms, 0.95).toFixed(1).padStart(8)}`;

async function main() {
  const recipient = await identityToRecipient(await generateX25519Identity());
  const requestFor = (name: string) =>
    validateRequest(
      { requestId: name, userName: `${name}-user`, profile: PROFILE, contact: { recipient } },
      config,
    );
  const stack = await openStack({ config, env: { AWS_REGION: 'us-east-1' } });
  try {
    // Every IAM and Secrets Manager command a function sends, recorded at its SDK client.
    let recording: Sent[] | undefined;
    const principals = (await bindTasks(await loadAsl())).map((b) => b.functionKey);
    for (const principal of new Set(principals)) {
      const { iam, secrets } = stack.clients(principal);
      for (const [service, client] of [
        ['iam', iam],
        ['secrets', secrets],
      ] as const) {
        (client as unknown as Recordable).middlewareStack.add(
          (next, context) => (args) => {
            recording?.push({
              service,
              command: String(context.commandName),
              input: structuredClone(args.input),
            });
            return next(args);
          },
          { step: 'initialize', name: 'benchRecorder' },
        );
      }
    }
    const runner = await stackRunner(stack);
    const viaRunner = async (name: string) => {
      recording = [];
      const t = performance.now();
      const result = await runner.run(requestFor(name), { name });
      const ms = performance.now() - t;
      const sent = recording;
      recording = undefined;
      if (result.status !== 'SUCCEEDED')
        throw new Error(`onboarding ${name} ended ${result.status}: ${result.cause}`);
      return { ms, sent };
    };

    // Warm up (module loading, JIT, connection pools, the profile's group created); the second warm
    // onboarding's calls are the template the direct side replays.
    await viaRunner('warm-0');
    const template = (await viaRunner('warm-1')).sent;

    const direct = stack.clients('bench-direct');
    const replay = async (name: string) => {
      const sent: Sent[] = [];
      const t = performance.now();
      for (const call of template) {
        const input = JSON.parse(JSON.stringify(call.input).replaceAll('warm-1', name));
        const module = (call.service === 'iam' ? iamCommands : smCommands) as unknown as Record<
          string,
          new (
            input: unknown,
          ) => never
        >;
        const Command = module[`${call.command}`];
        if (!Command) throw new Error(`no command ${call.command} in the ${call.service} client`);
        sent.push({ service: call.service, command: call.command, input });
        // The saga expects some answers to be errors (NoSuchEntity of a user it is about to create).
        const client = (call.service === 'iam' ? direct.iam : direct.secrets) as unknown as Sender;
        await client.send(new Command(input)).catch(() => undefined);
      }
      return { ms: performance.now() - t, sent };
    };

    const pairs: { runner: number; direct: number }[] = [];
    for (let i = 1; i <= N; i++) {
      const runnerFirst = i % 2 === 0;
      const a = runnerFirst ? await viaRunner(`sfn-${i}`) : await replay(`dir-${i}`);
      const b = runnerFirst ? await replay(`dir-${i}`) : await viaRunner(`sfn-${i}`);
      const [r, d] = runnerFirst ? [a, b] : [b, a];
      const rc = JSON.stringify(countsOf(r.sent));
      const dc = JSON.stringify(countsOf(d.sent));
      if (rc !== dc) throw new Error(`pair ${i}: unmatched calls\n  runner ${rc}\n  direct ${dc}`);
      pairs.push({ runner: r.ms, direct: d.ms });
    }
    const ratios = pairs.map((p) => p.runner / p.direct);
    const calls = template.length;
    const lines = [
      `${N} interleaved pairs, profile ${PROFILE}, embedded emulator on loopback, Node ${process.versions.node}`,
      `IAM and Secrets Manager calls per onboarding, the same on both sides: ${calls} (${Object.entries(
        countsOf(template),
      )
        .map(([k, v]) => `${k}×${v}`)
        .join(', ')})`,
      '',
      `${'ms per onboarding'.padEnd(34)} ${'p50'.padStart(8)} ${'p95'.padStart(8)}`,
      row(
        'state machine (local runner)',
        pairs.map((p) => p.runner),
      ),
      row(
        'same calls, SDK directly',
        pairs.map((p) => p.direct),
      ),
      '',
      `runner overhead (interleaved, matched calls): min ${Math.min(...ratios).toFixed(2)}x, median ${quantile(ratios, 0.5).toFixed(2)}x`,
    ];
    for (const line of lines) console.log(line);
    await writeReport('bench-onboarding', 'The local runner against the same SDK calls', lines);
  } finally {
    await stack.close();
  }
}

await main();
