import { Command } from 'commander';
import { loadConfigFile, readJsonFile } from '../io.ts';

export function planCommand(): Command {
  return new Command('plan')
    .description('show what an onboarding would create and what already exists (a dry run: reads only)')
    .argument('<request>', 'the onboarding request: a JSON file, or - for stdin')
    .option('--config <file>', 'the configuration (allowlists, paths)')
    .option('--json', 'print the plan as JSON')
    .option('--aws', 'read the real AWS account of your credentials')
    .option('--emulator-state <file>', 'seed the embedded emulator from a state file (read, never written)')
    .action(
      async (
        requestPath: string,
        flags: { config?: string; json?: boolean; aws?: boolean; emulatorState?: string },
      ) => {
        const [{ openStack }, { describePlan, makePlan }, { validateRequest }, { bold, dim, green }] =
          await Promise.all([
            import('../../local/stack.ts'),
            import('../../plan.ts'),
            import('../../request.ts'),
            import('../render.ts'),
          ]);
        const config = await loadConfigFile(flags.config);
        const request = validateRequest(await readJsonFile(requestPath, 'request'), config);
        const stack = await openStack({
          config,
          ...(flags.aws ? { aws: true } : {}),
          ...(flags.emulatorState ? { emulatorState: flags.emulatorState } : {}),
        });
        try {
          // The same reads as the Plan task, with the Plan function's own clients.
          const plan = await makePlan(request, stack.taskDeps('plan'));
          if (flags.json) {
            console.log(JSON.stringify(plan, null, 2));
            return;
          }
          console.log(
            bold(`Plan for ${request.requestId}`),
            dim(`(read from ${stack.description}; nothing written)`),
          );
          for (const line of describePlan(plan)) {
            console.log(`  ${line.create ? green('+') : dim('=')} ${line.action.padEnd(36)} ${line.target}`);
          }
        } finally {
          await stack.close();
        }
      },
    );
}
