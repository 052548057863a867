import { Command, CommanderError } from 'commander';
import { OnboardingError } from '../errors.ts';
import { StackError } from '../runner/local-stack.ts';
import { emulatorCommand } from './commands/emulator.ts';
import { graphCommand } from './commands/graph.ts';
import { planCommand } from './commands/plan.ts';
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
  program.addCommand(startCommand(ctx));
  program.addCommand(statusCommand(ctx));
  program.addCommand(serveCommand());
  for (const command of program.commands) command.exitOverride();
  return program;
}

const REJECTIONS = new Set(['InvalidRequest', 'RequestNotAllowed', 'InvalidConfiguration']);

export async function main(argv: string[]): Promise<number> {
  // Lambda logs (JSON, Powertools) would bury the timeline; `--logs` style debugging sets the level.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  let code: number = EXIT.ok;
  const program = makeProgram({ setExit: (c) => (code = c) });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.rejected;
    if (error instanceof UsageError) {
      console.error(`onboard: ${error.message}`);
      return EXIT.rejected;
    }
    if (error instanceof OnboardingError && REJECTIONS.has(error.name)) {
      console.error(`onboard: ${error.message}`);
      return EXIT.rejected;
    }
    if (error instanceof StackError || error instanceof OnboardingError) {
      console.error(`onboard: ${error.message}`);
      return EXIT.failed;
    }
    console.error(`onboard: unexpected ${(error as Error).name}: ${(error as Error).message}`);
    return EXIT.failed;
  }
}
