import type { OnboardingConfig } from '../../config.ts';
import type { ExecutionOutcome } from '../../execution/outcome.ts';
import type { OnboardingRequest } from '../../request.ts';
import { type CliContext, EXIT, exitCodeOf, operatorName } from '../io.ts';

/**
 * `onboard run roster.csv|roster.json`: every row validated before a stack starts (src/batch.ts: one bad
 * row refuses them all, exit 2, nothing created); then one stack for the whole roster, and each row run
 * as `onboard run` runs one request (runLocalOnboarding on that stack: the execution, the ledger), in
 * roster order, a progress line as each ends, and one summary.
 */

export interface BatchRunFlags {
  json?: boolean;
  aws?: boolean;
  emulatorState?: string;
  fastRetries?: boolean;
  authorize?: boolean;
}

/** The batch's exit code: 3 when any row left something behind, else the worst of the others. */
export function batchExitCode(codes: readonly number[]): number {
  if (codes.includes(EXIT.rollbackIncomplete)) return EXIT.rollbackIncomplete;
  return Math.max(EXIT.ok, ...codes);
}

export async function runBatch(
  requests: readonly OnboardingRequest[],
  config: OnboardingConfig,
  flags: BatchRunFlags,
  ctx: CliContext,
): Promise<void> {
  const [
    { HistoryRecorder, outcomeOfRun },
    { runLocalOnboarding },
    { openStack },
    { bold, dim, formatMs, green, red, yellow },
  ] = await Promise.all([
    import('../../local/history.ts'),
    import('../../local/onboarding.ts'),
    import('../../local/stack.ts'),
    import('../render.ts'),
  ]);
  const stack = await openStack({
    config,
    ...(flags.aws ? { aws: true } : {}),
    ...(flags.emulatorState ? { emulatorState: flags.emulatorState } : {}),
    ...(flags.authorize === false ? { authorize: false } : {}),
  });
  const outcomes: ExecutionOutcome[] = [];
  try {
    if (!flags.json) {
      console.log(bold(`Onboarding a batch of ${requests.length}`));
      console.log(dim(`  on ${stack.description}`));
    }
    const width = String(requests.length).length;
    for (const [index, request] of requests.entries()) {
      const history = new HistoryRecorder({ input: JSON.stringify(request) });
      const { result } = await runLocalOnboarding(request, {
        config,
        stack,
        ...(flags.fastRetries ? { retryDelayMs: 10 } : {}),
        requestedBy: { channel: 'cli', identity: `onboard run (${operatorName()}, batch)` },
        onEvent: (event) => void history.add(event),
      });
      const outcome = outcomeOfRun(result, history.events);
      outcomes.push(outcome);
      if (!flags.json) {
        const paint = outcome.status === 'succeeded' ? green : outcome.status === 'running' ? yellow : red;
        const why = outcome.failure ? `: ${outcome.failure.error} - ${outcome.failure.message}` : '';
        const took = outcome.durationMs !== undefined ? ` in ${formatMs(outcome.durationMs)}` : '';
        console.log(
          `  [${String(index + 1).padStart(width)}/${requests.length}] ${request.requestId} ${request.userName} (${request.profile}): ${paint(outcome.status)}${took}${why}`,
        );
      }
    }
  } finally {
    await stack.close();
  }
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  if (flags.json) {
    console.log(
      JSON.stringify({ summary: { rows: outcomes.length, ...counts }, onboardings: outcomes }, null, 2),
    );
  } else {
    const parts = Object.entries(counts).map(([status, n]) => `${n} ${status}`);
    console.log('');
    console.log(bold(`${outcomes.length} onboardings: ${parts.join(', ')}`));
  }
  ctx.setExit(batchExitCode(outcomes.map(exitCodeOf)));
}
