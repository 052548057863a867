import { Command } from 'commander';
import { createSfnClient } from '../../aws/sfn-client.ts';
import { validateRequest } from '../../request.ts';
import {
  ExecutionNotFoundError,
  RequestIdConflictError,
  SfnOnboardingExecutions,
} from '../../sfn/executions.ts';
import { type OnboardingReport, reportOf } from '../../sfn/status.ts';
import { type CliContext, EXIT, loadConfigFile, readJsonFile, UsageError } from '../io.ts';
import { bold, dim, formatMs, green, red, yellow } from '../render.ts';

/**
 * `onboard start` / `onboard status`: a deployed state machine (or `onboard serve`'s), through the
 * Step Functions API. Which one is never guessed: --state-machine-arn or ONBOARDING_STATE_MACHINE_ARN.
 */

function stateMachineArn(flag: string | undefined): string {
  const arn = flag ?? process.env.ONBOARDING_STATE_MACHINE_ARN;
  if (!arn) {
    throw new UsageError(
      'which state machine? Pass --state-machine-arn ARN or set ONBOARDING_STATE_MACHINE_ARN ' +
        '(the StateMachineArn output of the deployed stack, or the ARN `onboard serve` prints)',
    );
  }
  if (!/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/.test(arn)) {
    throw new UsageError(`not a state machine ARN: ${arn}`);
  }
  return arn;
}

const executions = (arn: string) => new SfnOnboardingExecutions(createSfnClient(), arn);

export function startCommand(ctx: CliContext): Command {
  return new Command('start')
    .description('start an onboarding on a deployed state machine (idempotent by request id)')
    .argument('<request>', 'the onboarding request: a JSON file, or - for stdin')
    .option('--state-machine-arn <arn>', 'the state machine (default: $ONBOARDING_STATE_MACHINE_ARN)')
    .option('--config <file>', 'the configuration to validate against (allowlists)')
    .option('--json', 'print JSON')
    .action(async (path: string, flags: { stateMachineArn?: string; config?: string; json?: boolean }) => {
      const arn = stateMachineArn(flags.stateMachineArn);
      const request = validateRequest(
        await readJsonFile(path, 'request'),
        await loadConfigFile(flags.config),
      );
      try {
        const started = await executions(arn).start(request.requestId, JSON.stringify(request));
        if (flags.json) console.log(JSON.stringify({ requestId: request.requestId, ...started }, null, 2));
        else
          console.log(
            `${green('started')} ${request.requestId}: ${started.executionArn}\n${dim(`follow it with: onboard status ${request.requestId}`)}`,
          );
      } catch (error) {
        if (error instanceof RequestIdConflictError) {
          console.error(`onboard: ${error.message}`);
          ctx.setExit(EXIT.rejected);
          return;
        }
        throw error;
      }
    });
}

function render(report: OnboardingReport): string[] {
  const color = report.status === 'succeeded' ? green : report.status === 'running' ? yellow : red;
  const lines = [`${bold(report.requestId)}  ${color(report.status)}  ${dim(report.executionArn)}`];
  for (const step of report.timeline) {
    const mark = step.status === 'succeeded' ? green('✓') : step.status === 'failed' ? red('✗') : yellow('…');
    const retries = step.attempts > 1 ? yellow(` ${step.attempts} attempts`) : '';
    const took = step.durationMs !== undefined ? dim(formatMs(step.durationMs).padStart(8)) : '';
    lines.push(
      `  ${mark} ${step.state.padEnd(28)}${took}${retries}${step.error ? ` ${red(step.error)}` : ''}`,
    );
  }
  if (report.failure)
    lines.push('', `  ${red('failure')} ${JSON.stringify(report.failure, null, 2).replaceAll('\n', '\n  ')}`);
  if (report.created)
    lines.push('', `  created ${JSON.stringify(report.created, null, 2).replaceAll('\n', '\n  ')}`);
  return lines;
}

export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description('show how an onboarding is going: status, step timeline, what was created')
    .argument('<request-id>', 'the request id (the execution name)')
    .option('--state-machine-arn <arn>', 'the state machine (default: $ONBOARDING_STATE_MACHINE_ARN)')
    .option('--json', 'print JSON')
    .action(async (requestId: string, flags: { stateMachineArn?: string; json?: boolean }) => {
      const onboardings = executions(stateMachineArn(flags.stateMachineArn));
      try {
        const execution = await onboardings.describe(requestId);
        const report = reportOf(requestId, execution, await onboardings.history(execution.executionArn));
        if (flags.json) console.log(JSON.stringify(report, null, 2));
        else for (const line of render(report)) console.log(line);
        if (report.status !== 'succeeded' && report.status !== 'running') {
          ctx.setExit(report.status === 'rollback incomplete' ? EXIT.rollbackIncomplete : EXIT.failed);
        }
      } catch (error) {
        if (error instanceof ExecutionNotFoundError) {
          console.error(`onboard: ${error.message}`);
          ctx.setExit(EXIT.rejected);
          return;
        }
        throw error;
      }
    });
}
