import { Command } from 'commander';
import {
  type CliContext,
  exitCodeOf,
  loadConfigFile,
  operatorName,
  readJsonFile,
  UsageError,
} from '../io.ts';

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

/**
 * The ledger, where the environment names its table (ONBOARDING_LEDGER_TABLE: a deployed stage's, or
 * the one `onboard serve` exports), reached like every other service (AWS_ENDPOINT_URL_DYNAMODB).
 */
async function ledgerOf(env: NodeJS.ProcessEnv) {
  if (!env.ONBOARDING_LEDGER_TABLE) return undefined;
  const [{ DynamoDBClient }, { clientConfig }, { DynamoLedger }, { ledgerTableFromEnv }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../../aws/clients.ts'),
    import('../../ledger/dynamodb.ts'),
    import('../../ledger/items.ts'),
  ]);
  return new DynamoLedger(new DynamoDBClient(clientConfig(env)), ledgerTableFromEnv(env));
}

/** The outcome with the ledger's approval of this execution, where the environment names the ledger. */
async function withLedgerApproval<O extends { requestId: string; executionArn: string }>(
  outcome: O,
  env: NodeJS.ProcessEnv,
) {
  if (!env.ONBOARDING_LEDGER_TABLE) return outcome;
  const [
    { DynamoDBClient },
    { clientConfig },
    { DynamoApprovalStore },
    { withApproval },
    { ledgerTableFromEnv },
  ] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../../aws/clients.ts'),
    import('../../approvals/dynamodb.ts'),
    import('../../approvals/approvals.ts'),
    import('../../ledger/items.ts'),
  ]);
  const client = new DynamoDBClient(clientConfig(env));
  try {
    const store = new DynamoApprovalStore(client, ledgerTableFromEnv(env));
    return withApproval(outcome, await store.get(outcome.requestId));
  } finally {
    client.destroy();
  }
}

/**
 * The stage whose callback hosts a request is held to: --stage, else the state machine's own name
 * (`iam-onboarding-<stage>`, as serverless.yml names it; `onboard serve`'s is `iam-onboarding-local`).
 */
function stageOf(flag: string | undefined, arn: string): string {
  if (flag) return flag;
  const name = arn.slice(arn.lastIndexOf(':') + 1);
  const stage = /^iam-onboarding-([\w-]+)$/.exec(name)?.[1];
  if (stage) return stage;
  throw new UsageError(
    `which stage does state machine ${name} belong to? Pass --stage STAGE: its api.callbackAllowedHosts decide where the callback URL may go`,
  );
}

/** The Step Functions client and verbs, loaded when a command needs them (not for `--help`). */
async function executions(arn: string) {
  const [{ createSfnClient }, { SfnOnboardingExecutions }] = await Promise.all([
    import('../../aws/sfn-client.ts'),
    import('../../sfn/executions.ts'),
  ]);
  return new SfnOnboardingExecutions(createSfnClient(), arn);
}

export function startCommand(): Command {
  return new Command('start')
    .description(
      'start an onboarding on a deployed state machine (idempotent by request id; a request whose last attempt rolled back starts a new one)',
    )
    .argument('<request>', 'the onboarding request: a JSON file, or - for stdin')
    .option('--state-machine-arn <arn>', 'the state machine (default: $ONBOARDING_STATE_MACHINE_ARN)')
    .option('--config <file>', 'the configuration to validate against (allowlists, callback hosts)')
    .option(
      '--stage <stage>',
      "whose api.callbackAllowedHosts the callback URL must be on (default: the state machine's name, iam-onboarding-<stage>)",
    )
    .option('--json', 'print JSON')
    .action(
      async (
        path: string,
        flags: { stateMachineArn?: string; config?: string; stage?: string; json?: boolean },
      ) => {
        const arn = stateMachineArn(flags.stateMachineArn);
        const [{ validateRequest }, { callbackPolicyOf }, { checkCallbackUrl }, { dim, green }] =
          await Promise.all([
            import('../../request.ts'),
            import('../../config.ts'),
            import('../../notifier/callback-policy.ts'),
            import('../render.ts'),
          ]);
        const config = await loadConfigFile(flags.config);
        const request = validateRequest(await readJsonFile(path, 'request'), config);
        // Refused here, as the HTTP API refuses it: never started and then skipped when it ends.
        if (request.contact?.callbackUrl !== undefined)
          checkCallbackUrl(request, callbackPolicyOf(config, stageOf(flags.stage, arn)));
        const started = await (await executions(arn)).start(request.requestId, JSON.stringify(request));
        // Recorded where a ledger is configured; without one, the notifier's record of the end stands alone.
        const ledger = await ledgerOf(process.env);
        if (ledger) {
          const { accessOf } = await import('../../ledger/items.ts');
          const now = new Date();
          await ledger.recordAccepted({
            requestId: request.requestId,
            executionArn: started.executionArn,
            ...(started.attempt > 1
              ? { attempt: started.attempt, previousAttempts: started.previousAttempts }
              : {}),
            requestedBy: { channel: 'cli', identity: `onboard start (${operatorName()})` },
            access: accessOf(request, config),
            startedAt: started.startDate ?? now,
            acceptedAt: now,
          });
        }
        if (flags.json) console.log(JSON.stringify({ requestId: request.requestId, ...started }, null, 2));
        else {
          // The same request again answers its execution; after a clean rollback it starts attempt k.
          const what = !started.started
            ? 'already started'
            : started.attempt > 1
              ? `started attempt ${started.attempt} (the last one rolled back)`
              : 'started';
          console.log(
            `${green(what)} ${request.requestId}: ${started.executionArn}\n${dim(`follow it with: onboard status ${request.requestId}`)}`,
          );
        }
      },
    );
}

/** The executions of the state machine a flag (or the environment) names: for `onboard reveal`. */
export const executionsFor = async (flag: string | undefined) => executions(stateMachineArn(flag));

export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description('show how an onboarding is going: status, step timeline, what was created')
    .argument('<request-id>', "the request id (its latest attempt's execution)")
    .option('--state-machine-arn <arn>', 'the state machine (default: $ONBOARDING_STATE_MACHINE_ARN)')
    .option('--json', 'print JSON')
    .action(async (requestId: string, flags: { stateMachineArn?: string; json?: boolean }) => {
      const arn = stateMachineArn(flags.stateMachineArn);
      const fromLedger = async (error: unknown) => {
        const { ExecutionNotFoundError } = await import('../../sfn/executions.ts');
        const ledger = error instanceof ExecutionNotFoundError ? await ledgerOf(process.env) : undefined;
        const item = await ledger?.get(requestId);
        if (!item) throw error;
        const { outcomeFromLedger } = await import('../../ledger/status.ts');
        return outcomeFromLedger(item);
      };
      // Step Functions keeps an execution 90 days; the ledger answers after that (without the timeline).
      let recorded = false;
      const outcome = await (await executions(arn)).outcome(requestId).catch(async (error: unknown) => {
        const found = await fromLedger(error);
        recorded = true;
        return found;
      });
      // A privileged request's approval (who may approve, until when; then the decision), never its token.
      const withDecision = recorded ? outcome : await withLedgerApproval(outcome, process.env);
      if (flags.json) console.log(JSON.stringify(withDecision, null, 2));
      else {
        const { dim, renderReport } = await import('../render.ts');
        for (const line of renderReport(withDecision)) console.log(line);
        if (recorded) console.log(dim('  (from the ledger: Step Functions no longer has this execution)'));
      }
      ctx.setExit(exitCodeOf(outcome));
    });
}
