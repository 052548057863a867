import { Command } from 'commander';
import {
  type CliContext,
  exitCodeOf,
  loadConfigFile,
  operatorName,
  readJsonFile,
  readText,
  UsageError,
} from '../io.ts';

interface RunFlags {
  config?: string;
  json?: boolean;
  aws?: boolean;
  emulatorState?: string;
  fail?: string[];
  throttle?: string[];
  lose?: string[];
  crash?: string[];
  fastRetries?: boolean;
  authorize?: boolean;
  approveAs?: string;
  denyAs?: string;
  reason?: string;
}

const many = (raw: string, previous: string[] = []) => [...previous, raw];

/** `{ "onboardings": [...] }`, the HTTP API's batch body, as a roster file. */
const isBatchObject = (v: unknown) =>
  !!v && typeof v === 'object' && Array.isArray((v as { onboardings?: unknown }).onboardings);

export function runCommand(ctx: CliContext): Command {
  return new Command('run')
    .description(
      'run one onboarding and show its timeline (embedded local stack unless endpoints are configured)',
    )
    .argument(
      '<request>',
      'the onboarding request: a JSON file, or - for stdin; or a roster of many (a .csv file, or a JSON array)',
    )
    .option('--config <file>', 'the configuration (allowlists, paths)', undefined)
    .option('--json', 'print the result as JSON, no timeline')
    .option('--aws', 'run against the real AWS account of your credentials (creates real users)')
    .option('--emulator-state <file>', 'seed the embedded emulator from a state file (read, never written)')
    .option('--fail <action:error[:count]>', 'make an AWS call fail, e.g. CreateAccessKey:AccessDenied', many)
    .option(
      '--throttle <action:count>',
      'throttle the next COUNT calls of an AWS action, e.g. CreateUser:2',
      many,
    )
    .option('--lose <action[:count]>', 'apply an AWS call but lose its answer, e.g. CreateUser', many)
    .option(
      '--crash <state[:count]>',
      'the Lambda of a state dies after doing its work, e.g. CreateUser',
      many,
    )
    .option('--fast-retries', 'wait 10 ms between retries instead of the state machine backoff')
    .option(
      '--approve-as <approver>',
      "a privileged profile: approve it as one of the profile's approvers when it waits (the embedded stack ends with the run)",
    )
    .option('--deny-as <approver>', 'a privileged profile: deny it as one of its approvers (ends Denied)')
    .option('--reason <text>', 'why, with --approve-as or --deny-as')
    .option(
      '--no-authorize',
      "embedded stack: do not evaluate the functions' roles (serverless.yml) and users' policies - allow every call (debugging)",
    )
    .action(async (requestPath: string, flags: RunFlags) => {
      // The heavy modules (the SDK, the interpreter, the emulator) load only when a run starts.
      const [{ parseCrash, parseFail, parseLose, parseThrottle }, { validateRequest }] = await Promise.all([
        import('../faults.ts'),
        import('../../request.ts'),
      ]);
      // Fault flags are checked before anything starts: a typo injects nothing, so it is refused.
      const faults = [
        ...(flags.fail ?? []).map(parseFail),
        ...(flags.throttle ?? []).map(parseThrottle),
        ...(flags.lose ?? []).map(parseLose),
      ];
      const crashes = (flags.crash ?? []).map(parseCrash);
      const config = await loadConfigFile(flags.config);
      // A roster: every row validated before anything starts, then each row run as one request.
      const csv = /\.csv$/i.test(requestPath);
      const input = csv ? undefined : await readJsonFile(requestPath, 'request');
      if (csv || Array.isArray(input) || isBatchObject(input)) {
        if (faults.length || crashes.length) {
          throw new UsageError(
            'fault flags apply to one request: run the row alone (onboard run <request.json> --fail ...)',
          );
        }
        const [batch, { callbackPolicyOf }, { LOCAL_STAGE }, { runBatch }] = await Promise.all([
          import('../../batch.ts'),
          import('../../config.ts'),
          import('../../notifier/callback-policy.ts'),
          import('./run-batch.ts'),
        ]);
        const rows = csv ? batch.parseRoster(await readText(requestPath), 'csv') : batch.rowsOfJson(input);
        const requests = batch.validateBatch(rows, config, callbackPolicyOf(config, LOCAL_STAGE));
        // A privileged row would wait for an approval nobody can give once this command ends.
        const { approvalOf } = await import('../../request.ts');
        const privileged = requests.flatMap((r, i) =>
          approvalOf(r, config).required
            ? [
                {
                  row: i + 1,
                  requestId: r.requestId,
                  path: 'profile',
                  message: `profile "${r.profile}" is privileged and waits for an approval: run this row alone (onboard run <request.json> --approve-as <approver>) or through onboard serve; nothing was started`,
                },
              ]
            : [],
        );
        if (privileged.length) throw new batch.InvalidBatchError(privileged);
        await runBatch(requests, config, flags, ctx);
        return;
      }
      // Checked here first: a bad request gets its field errors before any stack is started.
      const request = validateRequest(input, config);
      const approval = await approvalOfRun(request, config, flags, requestPath);
      const [
        { TimelineBuilder },
        { HistoryRecorder, outcomeOfRun },
        { runLocalOnboarding },
        { bold, dim, renderChange, renderOutcome },
      ] = await Promise.all([
        import('../../execution/timeline.ts'),
        import('../../local/history.ts'),
        import('../../local/onboarding.ts'),
        import('../render.ts'),
      ]);
      // The runner's events become Step Functions history as they come, and the timeline is read from
      // that history: the same reading as `onboard status`, printed one step at a time.
      const history = new HistoryRecorder({ input: JSON.stringify(request) });
      const timeline = new TimelineBuilder((change) => {
        const line = flags.json ? undefined : renderChange(change);
        if (line !== undefined) console.log(line);
      });
      const { result } = await runLocalOnboarding(request, {
        config,
        ...(flags.aws ? { aws: true } : {}),
        ...(flags.emulatorState ? { emulatorState: flags.emulatorState } : {}),
        faults,
        ...(crashes.length ? { lambdaFaults: crashes } : {}),
        ...(flags.fastRetries ? { retryDelayMs: 10 } : {}),
        ...(flags.authorize === false ? { authorize: false } : {}),
        requestedBy: { channel: 'cli', identity: `onboard run (${operatorName()})` },
        ...(approval
          ? {
              approval: {
                ...approval,
                onPending: (record) => {
                  if (flags.json) return;
                  console.log(
                    `  ⏸ waiting for approval by ${record.approvers.join(' or ')} (expires ${record.expiresAt})`,
                  );
                  console.log(
                    dim(
                      `    ${approval.decision === 'approve' ? 'approving' : 'denying'} as ${approval.approver}`,
                    ),
                  );
                },
                onDecided: (decided) => {
                  if (flags.json) return;
                  const by = decided.approval.decidedBy ?? approval.approver;
                  console.log(
                    `    ${decided.approval.status} by ${by}${decided.approval.reason ? `: ${decided.approval.reason}` : ''}`,
                  );
                },
              },
            }
          : {}),
        onEvent: (event) => {
          for (const recorded of history.add(event)) timeline.add(recorded);
        },
        onStack: (stack) => {
          if (flags.json) return;
          console.log(
            bold(`Onboarding ${request.requestId}: ${request.userName} (profile ${request.profile})`),
          );
          console.log(dim(`  on ${stack.description}`));
          if (faults.length || crashes.length) {
            const described = [
              ...faults.map(
                (f) => `${f.action} ${f.kind === 'error' ? f.error : f.kind} x${'count' in f ? f.count : 1}`,
              ),
              ...crashes.map((c) => `${c.state} Lambda crash x${c.count}`),
            ];
            console.log(dim(`  injected faults: ${described.join(', ')}`));
          }
          console.log('');
        },
      });
      const outcome = outcomeOfRun(result, history.events);
      if (flags.json) console.log(JSON.stringify(outcome, null, 2));
      else for (const line of renderOutcome(outcome)) console.log(line);
      ctx.setExit(exitCodeOf(outcome));
    });
}

/**
 * A privileged request on a stack that ends with the run needs its decision with the run: refused
 * before anything starts without one (saying how to give it), or with one the gate would refuse.
 */
async function approvalOfRun(
  request: import('../../request.ts').OnboardingRequest,
  config: import('../../config.ts').OnboardingConfig,
  flags: RunFlags,
  requestPath: string,
) {
  const [{ approvalOf }, { checkApprover }] = await Promise.all([
    import('../../request.ts'),
    import('../../approvals/approvals.ts'),
  ]);
  const need = approvalOf(request, config);
  const flag =
    flags.approveAs !== undefined ? '--approve-as' : flags.denyAs !== undefined ? '--deny-as' : undefined;
  if (flags.approveAs !== undefined && flags.denyAs !== undefined) {
    throw new UsageError('--approve-as and --deny-as: give one decision');
  }
  if (!need.required) {
    if (flag || flags.reason !== undefined) {
      throw new UsageError(
        `profile "${request.profile}" is not privileged and needs no approval: drop ${flag ?? '--reason'}`,
      );
    }
    return undefined;
  }
  if (!flag) {
    const first = need.approvers[0] ?? '<approver>';
    throw new UsageError(
      [
        `request ${request.requestId}: profile "${request.profile}" is privileged: it waits for an approval by ${need.approvers.join(' or ')} before anything is created.`,
        `The embedded stack ends with this command, so give the decision with the run:`,
        `  onboard run ${requestPath} --approve-as ${first}    (or --deny-as ${first} --reason "...")`,
        'or keep a stack up (onboard serve), start it there (onboard start) and, in another shell,',
        `  onboard approve ${request.requestId} --as ${first}`,
        'Nothing was started.',
      ].join('\n'),
    );
  }
  const approver = (flags.approveAs ?? flags.denyAs) as string;
  // The gate's own rule, before anything starts: the decision would be refused once the run waits.
  checkApprover(
    { requestId: request.requestId, approver },
    { profile: request.profile, requester: request.requestedBy },
    need.approvers,
  );
  return {
    approver,
    decision: flags.approveAs !== undefined ? ('approve' as const) : ('deny' as const),
    ...(flags.reason ? { reason: flags.reason } : {}),
  };
}
