import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import type { OnboardingConfig } from '../config.ts';
import type { OnboardingRequest } from '../request.ts';
import {
  type ExecutionResult,
  type LambdaFault,
  LocalRunner,
  type LocalRunnerOptions,
  type TimelineEvent,
} from './runner.ts';
import { openStack, type Stack, type StackTiming } from './stack.ts';

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
  timing?: StackTiming;
  beforeTask?: LocalRunnerOptions['beforeTask'];
  retrierOverride?: LocalRunnerOptions['retrierOverride'];
}

/** A runner whose every Task runs its handler with this stack's clients for that function. */
export function stackRunner(
  stack: Stack,
  options: Omit<LocalRunnerOptions, 'depsFor' | 'region' | 'accountId'> = {},
): Promise<LocalRunner> {
  return LocalRunner.create({
    ...options,
    depsFor: (functionKey) => stack.taskDeps(functionKey),
    region: stack.region,
    accountId: stack.accountId,
  });
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
      ...(options.timing ? { timing: options.timing } : {}),
    }));
  try {
    options.onStack?.(stack);
    if (options.faults?.length) await stack.addFaults(options.faults);
    const runner = await stackRunner(stack, {
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.lambdaFaults ? { lambdaFaults: options.lambdaFaults } : {}),
      ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}),
      ...(options.retrierOverride ? { retrierOverride: options.retrierOverride } : {}),
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
