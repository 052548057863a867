import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { OnboardingConfig } from '../config.ts';
import type { ExecutionOutcome } from '../execution/outcome.ts';
import { PROJECT_ROOT } from '../paths.ts';

/** A failure the user can fix: printed as one clear line, never as a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError' as const;
}

/** What a command may tell the program besides printing: its exit code. */
export interface CliContext {
  setExit(code: number): void;
}

/**
 * The CLI's exit codes (the README's table). `1` means an onboarding failed and was rolled back: a
 * problem of the machine, the shell or the configuration is `4`, and a bug of the CLI itself is `5`.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  rejected: 2,
  rollbackIncomplete: 3,
  environment: 4,
  internal: 5,
} as const;

/** The exit code of an onboarding's outcome: `onboard run` and `onboard status` alike. */
export function exitCodeOf(outcome: Pick<ExecutionOutcome, 'status' | 'failure'>): number {
  switch (outcome.status) {
    case 'succeeded':
    case 'running':
      return EXIT.ok;
    case 'rollback incomplete':
      return EXIT.rollbackIncomplete;
    default: {
      const failure = outcome.failure && 'failedStep' in outcome.failure ? outcome.failure : undefined;
      // Refused by ValidateRequest: nothing was read or created.
      if (failure?.failedStep === 'ValidateRequest') return EXIT.rejected;
      // Denied by an approver, or nobody approved in time: refused before anything was read or created.
      if (failure?.failedStep === 'AwaitApproval' && /^Approval(Denied|Expired)$/.test(failure.error ?? ''))
        return EXIT.rejected;
      // The account lacks the boundary or a managed policy: nothing was created, and the fix is the
      // account's (`onboard bootstrap`), not the request's.
      if (failure?.failedStep === 'Plan' && failure.error === 'PolicyNotFound') return EXIT.environment;
      return EXIT.failed;
    }
  }
}

export const DEFAULT_CONFIG_PATH = join(PROJECT_ROOT, 'config', 'onboarding.json');

export async function readText(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${what} ${path === '-' ? '(stdin)' : path} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

export async function loadConfigFile(path = DEFAULT_CONFIG_PATH): Promise<OnboardingConfig> {
  // Imported when needed: `onboard --help` and the commands that read no configuration start faster.
  const [{ parseOnboardingConfig }, { resolveBoundaries }] = await Promise.all([
    import('../config.ts'),
    import('../deploy/roles.ts'),
  ]);
  const config = parseOnboardingConfig(await readJsonFile(path, 'configuration'), path);
  // Every boundary a profile names is a file of config/boundaries/ holding a policy: refused here, at
  // start-up, naming the profile's key, rather than when the first user of that profile is created.
  resolveBoundaries(config);
  return config;
}

/** Runs in the foreground until Ctrl-C or SIGTERM, then stops what the command started, and returns. */
export function untilSignal(what: string, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      console.log(`stopping ${what}`);
      stop().then(resolve, resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Who runs the command, for the ledger's "who asked" (a container may have no user entry). */
export function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown user';
  }
}
