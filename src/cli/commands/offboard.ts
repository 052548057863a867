import { Command } from 'commander';
import type { CliContext } from '../io.ts';
import { EXIT, loadConfigFile, readJsonFile, UsageError } from '../io.ts';

/**
 * `onboard offboard <user|request.json>`: runs the offboarding state machine (statemachine/offboarding.asl.yaml)
 * in this process - Snapshot (refusing a user this stack did not onboard), Contain, then with
 * `--grace-days 0` Remove and Verify. Its executions live as long as this command, so a grace period
 * cannot be waited out here: it is refused with the fix named.
 */

/** The state machine's Fail states, as exit codes: refused (nothing changed) 2, left contained 3. */
function exitOf(status: string, error: string | undefined): number {
  if (status === 'SUCCEEDED') return EXIT.ok;
  if (error === 'OffboardingRefused' || error === 'InvalidRequest') return EXIT.rejected;
  if (error === 'OffboardingIncomplete') return EXIT.rollbackIncomplete;
  return EXIT.failed;
}

/** A task's failure travels as Lambda's `{ errorType, errorMessage }`: the message is what to read. */
function messageOf(cause: string | undefined): string {
  try {
    const parsed = JSON.parse(cause ?? '') as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: the cause as it is.
  }
  return cause ?? '';
}

export function offboardCommand(ctx: CliContext): Command {
  return new Command('offboard')
    .description(
      'offboard a leaver this stack onboarded: contain at once (deny-all, every credential off, no password), then remove everything in AWS order and verify',
    )
    .argument(
      '<user>',
      'the IAM user name, or an offboarding request JSON file ({ requestId, userName, gracePeriodDays })',
    )
    .option('--grace-days <days>', 'days between containment and removal (0: remove now)', (v) => Number(v))
    .option('--request-id <id>', 'the ticket key (default: OFF-<user>-<date>)')
    .option('--config <file>', 'the configuration (profiles, paths)')
    .option('--json', 'print the outcome as JSON')
    .option('--aws', 'offboard in the real AWS account of your credentials')
    .option('--emulator-state <file>', 'seed the embedded emulator from a state file (read, never written)')
    .action(
      async (
        target: string,
        flags: {
          graceDays?: number;
          requestId?: string;
          config?: string;
          json?: boolean;
          aws?: boolean;
          emulatorState?: string;
        },
      ) => {
        const [{ parseOffboardingRequest }, { runLocalOffboarding }, render] = await Promise.all([
          import('../../offboarding/request.ts'),
          import('../../local/offboarding.ts'),
          import('../render.ts'),
        ]);
        const config = await loadConfigFile(flags.config);
        const fromFile = target.endsWith('.json') || target === '-';
        const body = fromFile
          ? ((await readJsonFile(target, 'offboarding request')) as Record<string, unknown>)
          : {
              userName: target,
              requestId:
                flags.requestId ??
                `OFF-${target.replace(/[^A-Za-z0-9_-]/g, '-')}-${new Date().toISOString().slice(0, 10)}`,
            };
        if (flags.graceDays !== undefined) body.gracePeriodDays = flags.graceDays;
        if (flags.requestId !== undefined) body.requestId = flags.requestId;
        const request = parseOffboardingRequest(body);
        if (request.gracePeriodDays > 0) {
          throw new UsageError(
            `a grace period of ${request.gracePeriodDays} days cannot be waited out here: onboard offboard runs the offboarding in this process, which ends with the command. Pass --grace-days 0 to contain and remove now, or see onboard plan --offboard ${request.userName} for what would go`,
          );
        }
        const started = Date.now();
        const { result, stack } = await runLocalOffboarding(request, {
          config,
          ...(flags.aws ? { aws: true } : {}),
          ...(flags.emulatorState ? { emulatorState: flags.emulatorState } : {}),
          ...(flags.json
            ? {}
            : {
                onEvent: (e) => {
                  // Progress as it happens: each state as the execution enters it.
                  if (e.type === 'StateEntered' && e.state) console.log(`  ${render.dim('·')} ${e.state}`);
                },
              }),
        });
        const output = (result.output ?? {}) as {
          removal?: { removed: string[]; secret: string };
          containment?: { deactivated: unknown[]; loginProfileDeleted: boolean };
        };
        const code = exitOf(result.status, result.error);
        ctx.setExit(code);
        if (flags.json) {
          console.log(
            JSON.stringify(
              {
                requestId: request.requestId,
                userName: request.userName,
                executionArn: result.executionArn,
                status: result.status,
                ...(result.error ? { error: result.error, cause: result.cause } : {}),
                ...(output.removal ? { removed: output.removal.removed, secret: output.removal.secret } : {}),
              },
              null,
              2,
            ),
          );
          return;
        }
        const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
        if (code === EXIT.ok) {
          console.log(
            render.bold(`${request.userName} offboarded`),
            render.dim(`(${request.requestId}, ${took}, on ${stack.description})`),
          );
          const c = output.containment;
          console.log(
            `  contained first: deny-all attached, ${c?.deactivated.length ?? 0} credentials switched off${c?.loginProfileDeleted ? ', console password deleted' : ''}`,
          );
          for (const item of output.removal?.removed ?? []) console.log(`  ${render.red('-')} ${item}`);
          console.log(`  secret: ${output.removal?.secret}; groups and policies stay for the others`);
          return;
        }
        const what =
          code === EXIT.rejected
            ? 'refused - nothing changed'
            : code === EXIT.rollbackIncomplete
              ? 'stopped - the user stays contained (denied everything, every credential off)'
              : 'failed';
        console.log(
          render.bold(render.red(`Offboarding ${request.requestId} of ${request.userName}: ${what}`)),
        );
        console.log(`  ${result.error}: ${messageOf(result.cause)}`);
      },
    );
}
