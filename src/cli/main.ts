import { Command, CommanderError } from 'commander';
import { OnboardingError } from '../errors.ts';
import { logger } from '../lambda/shared.ts';
import { approveCommand } from './commands/approve.ts';
import { bootstrapCommand } from './commands/bootstrap.ts';
import { emulatorCommand } from './commands/emulator.ts';
import { graphCommand } from './commands/graph.ts';
import { listCommand } from './commands/list.ts';
import { offboardCommand } from './commands/offboard.ts';
import { planCommand } from './commands/plan.ts';
import { restoreCommand } from './commands/restore.ts';
import { revealCommand } from './commands/reveal.ts';
import { runCommand } from './commands/run.ts';
import { schemaCommand } from './commands/schema.ts';
import { serveCommand } from './commands/serve.ts';
import { startCommand, statusCommand } from './commands/start-status.ts';
import { type CliContext, EXIT, UsageError } from './io.ts';

/** The `onboard` program. Built by a factory, nothing runs at import; `main` returns the exit code. */
export function makeProgram(ctx: CliContext): Command {
  const program = new Command('onboard')
    .description(
      'IAM onboarding: one Step Functions execution per new team member, with retries and an exact rollback',
    )
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(runCommand(ctx));
  program.addCommand(planCommand());
  program.addCommand(graphCommand());
  program.addCommand(schemaCommand());
  program.addCommand(emulatorCommand());
  program.addCommand(startCommand());
  program.addCommand(statusCommand(ctx));
  program.addCommand(approveCommand());
  program.addCommand(listCommand());
  program.addCommand(revealCommand());
  program.addCommand(serveCommand());
  program.addCommand(bootstrapCommand(ctx));
  program.addCommand(offboardCommand(ctx));
  program.addCommand(restoreCommand());
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Refused before anything was started: the request, a flag or a file is wrong (exit 2). */
const REJECTIONS = new Set([
  'InvalidRequest',
  'RequestNotAllowed',
  'ApprovalRequired',
  // `onboard approve`: not an approver (or the requester), nothing waits, decided already or expired.
  'ApprovalForbidden',
  'ApprovalNotFound',
  'ApprovalConflict',
  // A dry run, or a request, for a user that exists: choose another name (or offboard that user first).
  'UserAlreadyExists',
  'ExecutionNotFound',
  'RequestIdConflict',
  // `onboard list` with an unknown status, a bad page size or a cursor it did not give.
  'InvalidListQuery',
  // A roster with a bad row: every bad row is named, nothing was started.
  'InvalidBatch',
  // `onboard plan --offboard`: a user this stack did not onboard (or none of that name); nothing read further.
  'OffboardingRefused',
]);

/**
 * The machine, the shell or the configuration is wrong, not the request (exit 4): a stack that would not
 * start, missing or half-set credentials and endpoints, a state machine that does not exist, a taken
 * port, an account not prepared by `onboard bootstrap` (or lacking an allowlisted managed policy).
 */
const ENVIRONMENT = new Set([
  'StackError',
  'InvalidConfiguration',
  'PortInUse',
  'InvalidState',
  'StateMachineDoesNotExist',
  'CredentialsProviderError',
  // The boundary or an allowlisted managed policy is missing: `onboard bootstrap` says which.
  'PolicyNotFound',
  // A local ledger table kept from an older version lacks an index: the message says how to add it.
  'LedgerDefinitionError',
  // `onboard approve`: the HTTP API is not reachable, refused the credentials or has no approval gate.
  'ApiUnavailable',
]);

/** Whether the command line asks for JSON (`--json` before any `--`): then its errors are JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}

interface Refusal {
  code: number;
  name: string;
  message: string;
  /** The line printed without --json. */
  text: string;
  issues?: readonly { path: string; message: string }[];
}

function refusalOf(error: unknown): Refusal {
  const e = error as Error;
  const plain = (code: number): Refusal => ({ code, name: e.name, message: e.message, text: e.message });
  if (error instanceof CommanderError) {
    const message = error.message.replace(/^error: /, '');
    return { code: EXIT.rejected, name: 'UsageError', message, text: message };
  }
  if (error instanceof UsageError) return plain(EXIT.rejected);
  // Matched by their stable names: the modules that raise them are loaded only by the commands that need them.
  if (REJECTIONS.has(e?.name)) {
    const issues = (error as { issues?: readonly { path: string; message: string }[] }).issues;
    return { ...plain(EXIT.rejected), ...(issues?.length ? { issues } : {}) };
  }
  if (ENVIRONMENT.has(e?.name)) return plain(EXIT.environment);
  if (error instanceof OnboardingError) return plain(EXIT.failed);
  return {
    code: EXIT.internal,
    name: e?.name ?? 'Error',
    message: e?.message ?? String(error),
    text: `unexpected ${e?.name}: ${e?.message ?? String(error)} (a bug of onboard: please report it with the command you ran)`,
  };
}

export async function main(argv: string[]): Promise<number> {
  // The in-process Lambdas' JSON logs would bury the timeline: silent unless POWERTOOLS_LOG_LEVEL asks.
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('SILENT');
  const json = wantsJson(argv);
  let code: number = EXIT.ok;
  const program = makeProgram({ setExit: (c) => (code = c) });
  if (json) {
    // Commander's own error lines (and the help after them) would not be JSON: it is printed below.
    for (const command of [program, ...program.commands]) {
      command.configureOutput({ outputError: () => undefined, writeErr: () => undefined });
    }
  }
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return EXIT.ok;
    const refusal = refusalOf(error);
    if (json) {
      const { name, message, issues } = refusal;
      console.log(JSON.stringify({ error: { name, message, ...(issues ? { issues } : {}) } }, null, 2));
    } else if (!(error instanceof CommanderError)) {
      // Commander has already printed its own message (and the help).
      console.error(`onboard: ${refusal.text}`);
    }
    return refusal.code;
  }
}
