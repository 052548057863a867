import { Command } from 'commander';
import type { ServeOptions } from '../../local/serve.ts';
import type { NotifyOutcome } from '../../notifier/notify.ts';
import { type CliContext, EXIT, loadConfigFile, UsageError, untilSignal } from '../io.ts';

type Paint = typeof import('../render.ts');

/**
 * `onboard serve`: the whole stack on loopback until Ctrl-C (or SIGTERM), then everything it started
 * is stopped. The secrets of the run are printed once, or taken from ONBOARDING_WEBHOOK_SECRET,
 * ONBOARDING_API_TOKEN and ONBOARDING_CALLBACK_SECRET.
 */

const portOf = (value: string, flag: string) => {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`${flag} ${value}: not a port number`);
  return port;
};

const hostOf = (value: string, previous: string[] = []) => {
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(value)) {
    throw new UsageError(`--callback-host ${value}: a host name or IPv4 address, without scheme or port`);
  }
  return [...previous, value];
};

function describeOutcome(
  outcome: NotifyOutcome,
  requestId: string,
  { dim, green, red, yellow }: Paint,
): string {
  switch (outcome.outcome) {
    case 'sent':
      return green(`callback for ${requestId} sent (${outcome.attempts} attempt(s), HTTP ${outcome.status})`);
    case 'skipped':
      return dim(`no callback for ${requestId}: ${outcome.reason}`);
    case 'refused':
      return yellow(`callback for ${requestId} refused: ${outcome.reason}`);
    case 'failed':
      return red(`callback for ${requestId} failed after ${outcome.attempts} attempt(s): ${outcome.reason}`);
  }
}

interface ServeFlags {
  port: string;
  apiPort: string;
  state?: string;
  config?: string;
  callbackHost?: string[];
  fastRetries?: boolean;
}

export function serveCommand(ctx?: CliContext): Command {
  return new Command('serve')
    .description(
      'run the whole stack on loopback: AWS emulator, Step Functions API, HTTP API, callbacks, a status page at /ui (Ctrl-C stops it)',
    )
    .option(
      '--port <port>',
      'port of the AWS endpoint (IAM, Secrets Manager, STS, Step Functions); 0 = any',
      '0',
    )
    .option('--api-port <port>', 'port of the HTTP API for ticketing tools; 0 = any', '8080')
    .option(
      '--state <file>',
      'keep the emulated account in FILE and the ledger in FILE.ledger/ across restarts (executions are not kept)',
    )
    .option('--config <file>', 'the configuration (allowlists, API settings)')
    .option(
      '--callback-host <host>',
      'also allow callbacks to HOST in this run (repeatable; e.g. 127.0.0.1)',
      hostOf,
    )
    .option('--fast-retries', "replace the state machine's backoff with 10 ms waits")
    .action(async (flags: ServeFlags) => {
      const [paint, { describeServe, startServe }] = await Promise.all([
        import('../render.ts'),
        import('../../local/serve.ts'),
      ]);
      const { bold, dim } = paint;
      const config = await loadConfigFile(flags.config);
      const env = process.env;
      const options: ServeOptions = {
        config,
        port: portOf(flags.port, '--port'),
        apiPort: portOf(flags.apiPort, '--api-port'),
        ...(flags.state ? { stateFile: flags.state } : {}),
        ...(flags.callbackHost ? { callbackAllowedHosts: flags.callbackHost } : {}),
        ...(flags.fastRetries ? { retryDelayMs: 10 } : {}),
        secrets: {
          ...(env.ONBOARDING_WEBHOOK_SECRET ? { webhookSecret: env.ONBOARDING_WEBHOOK_SECRET } : {}),
          ...(env.ONBOARDING_API_TOKEN ? { apiToken: env.ONBOARDING_API_TOKEN } : {}),
          ...(env.ONBOARDING_CALLBACK_SECRET ? { callbackSecret: env.ONBOARDING_CALLBACK_SECRET } : {}),
        },
        onRequest: (e) =>
          console.log(
            dim(
              `${e.route} -> ${e.status}${e.requestId ? ` ${e.requestId}` : ''}${e.refused ? ` (refused: ${e.refused})` : ''}${e.errorName ? ` (${e.errorName})` : ''}`,
            ),
          ),
        onNotify: (outcome, change) => console.log(describeOutcome(outcome, change.detail.name, paint)),
      };
      const serve = await startServe(options);
      const [title, ...rest] = describeServe(serve);
      console.log(bold(title ?? ''));
      for (const line of rest) console.log(line);
      await untilSignal('iam-onboarding', async () => {
        try {
          await serve.stop();
        } catch (error) {
          console.error(`onboard: stopping failed: ${(error as Error).message}`);
          ctx?.setExit(EXIT.failed);
        }
      });
    });
}
