/**
 * AWS calls per onboarding, counted at the embedded emulator by service and action: IAM and Secrets
 * Manager (what issue 15 budgets), Step Functions apart (the tasks' checks of their own execution).
 * For the happy path, a rollback at CreateAccessKey, and BENCH_BURST (200) onboardings started at
 * once; each with its ratio to writes (calls that are not Get/List/Describe). DynamoDB (the ledger, on
 * dynalite) is not counted here. Writes reports/calls.md.
 *   npm run bench:calls
 * A measurement, not a test.
 */
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import rawConfig from '../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig } from '../src/config.ts';
import { stackRunner } from '../src/local/onboarding.ts';
import type { ExecutionResult } from '../src/local/runner.ts';
import { openStack } from '../src/local/stack.ts';
import { validateRequest } from '../src/request.ts';
import { writeReport } from './bench-report.ts';

const BURST = Number(process.env.BENCH_BURST ?? 200);
const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
/**
 * The reference request: a new group with one policy, one service-linked role and an access key. The
 * configuration's profile for it (elasticache-developer) also signs the member in to the console, which
 * adds the password policy read and CreateLoginProfile to the figures.
 */
const PROFILE = 'elasticache-developer';
const recipient = await identityToRecipient(await generateX25519Identity());

interface Count {
  budgeted: number;
  writes: number;
  stepFunctions: number;
  byAction: Record<string, number>;
}

const isWrite = (action: string) => !/^(Get|List|Describe)/.test(action);

async function measure(
  n: number,
  fault?: { action: string },
): Promise<{ count: Count; results: ExecutionResult[] }> {
  const stack = await openStack({ config, env: { AWS_REGION: 'us-east-1' } });
  try {
    const emulator = stack.emulator;
    if (!emulator) throw new Error('the benchmark needs the embedded emulator');
    if (fault)
      emulator.faults.add({ action: fault.action, kind: 'error', error: 'AccessDenied', count: 'always' });
    const runner = await stackRunner(stack);
    emulator.clearCalls();
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const request = validateRequest(
          { requestId: `CALLS-${i}`, userName: `calls-user-${i}`, profile: PROFILE, contact: { recipient } },
          config,
        );
        return runner.run(request, { name: request.requestId });
      }),
    );
    const count: Count = { budgeted: 0, writes: 0, stepFunctions: 0, byAction: {} };
    for (const c of emulator.calls()) {
      if (c.service === 'iam' || c.service === 'secretsmanager') {
        count.budgeted += c.calls;
        if (isWrite(c.action)) count.writes += c.calls;
        const key = `${c.service}:${c.action}`;
        count.byAction[key] = (count.byAction[key] ?? 0) + c.calls;
      } else if (c.service === 'states') {
        count.stepFunctions += c.calls;
      }
    }
    return { count, results };
  } finally {
    await stack.close();
  }
}

const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

const happy = await measure(1);
if (happy.results[0]?.status !== 'SUCCEEDED')
  throw new Error(`the happy onboarding ended ${happy.results[0]?.status}`);
const rollback = await measure(1, { action: 'CreateAccessKey' });
const rolled = rollback.results[0];
if (rolled?.status !== 'FAILED' || !rolled.events.some((e) => e.state === 'UndoCreateUser'))
  throw new Error(`the rollback run ended ${rolled?.status} without rolling back`);
const burst = await measure(BURST);
const failed = burst.results.filter((r) => r.status !== 'SUCCEEDED').length;
if (failed > 0) throw new Error(`${failed} of the ${BURST} burst onboardings did not succeed`);

say(`profile ${PROFILE}: IAM + Secrets Manager calls (Step Functions apart; DynamoDB not counted)`);
for (const [name, m, per] of [
  ['happy', happy.count, 1],
  ['rollback', rollback.count, 1],
  [`burst of ${BURST}`, burst.count, BURST],
] as const) {
  say(
    `calls per onboarding (${name}): ${fmt(m.budgeted / per)}  writes ${fmt(m.writes / per)}  ratio to writes ${(m.budgeted / Math.max(1, m.writes)).toFixed(2)}  Step Functions ${fmt(m.stepFunctions / per)}`,
  );
}
say('');
say('happy path, by action:');
for (const [action, n] of Object.entries(happy.count.byAction).sort()) say(`  ${action.padEnd(44)} ${n}`);
say('');
say('rollback at CreateAccessKey, by action:');
for (const [action, n] of Object.entries(rollback.count.byAction).sort()) say(`  ${action.padEnd(44)} ${n}`);

const path = await writeReport('calls', 'AWS calls per onboarding', lines);
console.log(`\nwritten to ${path}`);
