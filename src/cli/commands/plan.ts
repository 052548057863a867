import { Command } from 'commander';
import { loadConfigFile, readJsonFile } from '../io.ts';

export function planCommand(): Command {
  return new Command('plan')
    .description('show what an onboarding would create and what already exists (a dry run: reads only)')
    .argument(
      '<request>',
      'the onboarding request: a JSON file, or - for stdin (with --offboard: the user name)',
    )
    .option('--offboard', "show what offboarding the user would switch off and remove (the leaver's plan)")
    .option('--config <file>', 'the configuration (profiles, paths)')
    .option('--json', 'print the plan as JSON')
    .option('--aws', 'read the real AWS account of your credentials')
    .option('--emulator-state <file>', 'seed the embedded emulator from a state file (read, never written)')
    .action(
      async (
        requestPath: string,
        flags: { config?: string; json?: boolean; aws?: boolean; emulatorState?: string; offboard?: boolean },
      ) => {
        if (flags.offboard) {
          const { planOffboarding } = await import('./plan-offboarding.ts');
          return planOffboarding(requestPath, flags);
        }
        const [
          { openStack },
          { describePlan, driftRepairOf, makePlan },
          { validateRequest },
          { bold, dim, green, yellow },
        ] = await Promise.all([
          import('../../local/stack.ts'),
          import('../../plan.ts'),
          import('../../request.ts'),
          import('../render.ts'),
        ]);
        const config = await loadConfigFile(flags.config);
        // A privileged profile is planned like any other (nothing is written): the plan says who must approve.
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
          const drift = driftRepairOf(plan);
          console.log(`  profile   ${plan.profile.name}${plan.profile.privileged ? ' (privileged)' : ''}`);
          console.log(`  boundary  ${plan.profile.boundary}: ${plan.user.permissionsBoundaryArn}`);
          console.log(
            `  approval  ${
              plan.profile.approval === 'required'
                ? yellow(
                    `required: waits for an approval by ${(config.profiles[request.profile]?.approvers ?? []).join(' or ')} (not ${request.requestedBy}) before anything is created; onboard approve ${request.requestId} --as <approver>`,
                  )
                : 'not needed'
            }`,
          );
          console.log(
            `  group     ${plan.group.name}: ${
              plan.group.create
                ? "to be created with the profile's policies"
                : drift.length || plan.group.otherPolicies.length
                  ? `drift: ${drift.length} profile polic${drift.length === 1 ? 'y' : 'ies'} missing (attached to existing group as drift repair, kept on rollback)${plan.group.otherPolicies.length ? `, ${plan.group.otherPolicies.length} not in the profile (left alone)` : ''}`
                  : "no drift (carries exactly the profile's policies)"
            }`,
          );
          console.log('');
          for (const line of describePlan(plan)) {
            console.log(`  ${line.create ? green('+') : dim('=')} ${line.action.padEnd(40)} ${line.target}`);
          }
        } finally {
          await stack.close();
        }
      },
    );
}
