import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import type { OnboardingConfig } from '../config.ts';
import type { OnboardingRequest } from '../request.ts';
import { type ExecutionResult, type LambdaFault, LocalRunner, type TimelineEvent } from './local-runner.ts';
import { applyStackEnv, openStack, type Stack } from './local-stack.ts';

/** One onboarding on a local (or configured) stack: what `onboard run`, the tests and the benchmark call. */

export interface LocalOnboardingOptions {
  config: OnboardingConfig;
  aws?: boolean;
  emulatorState?: string;
  faults?: FaultSpec[];
  lambdaFaults?: LambdaFault[];
  retryDelayMs?: number;
  onEvent?: (event: TimelineEvent) => void;
  /** The environment that decides the stack (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Use this open stack instead of opening (and closing) one. */
  stack?: Stack;
  onStack?: (stack: Stack) => void;
}

export async function runLocalOnboarding(
  request: OnboardingRequest,
  options: LocalOnboardingOptions,
): Promise<{ result: ExecutionResult; stack: Stack }> {
  const stack =
    options.stack ??
    (await openStack({
      config: options.config,
      ...(options.aws ? { aws: true } : {}),
      ...(options.emulatorState ? { emulatorState: options.emulatorState } : {}),
      ...(options.env ? { env: options.env } : {}),
    }));
  try {
    options.onStack?.(stack);
    applyStackEnv(stack);
    if (options.faults?.length) await stack.addFaults(options.faults);
    const runner = await LocalRunner.create({
      region: stack.region,
      accountId: stack.accountId,
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.lambdaFaults ? { lambdaFaults: options.lambdaFaults } : {}),
    });
    const result = await runner.run(request, {
      name: request.requestId,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return { result, stack };
  } finally {
    if (!options.stack) await stack.close();
  }
}
