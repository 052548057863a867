import { Command } from 'commander';
import { UsageError, untilSignal } from '../io.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `onboard emulator`: the local IAM + Secrets Manager + STS in the foreground, until Ctrl-C or SIGTERM. */
export function emulatorCommand(): Command {
  return new Command('emulator')
    .description('run the local IAM + Secrets Manager + STS emulator in the foreground (Ctrl-C stops it)')
    .option('--port <port>', 'port to listen on (0: a free one)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--state <file>',
      'load the account from FILE at start, save it there on every change and at stop',
    )
    .action(async (flags: { port: string; host: string; state?: string }) => {
      const port = Number(flags.port);
      if (!/^\d+$/.test(flags.port) || port > 65535)
        throw new UsageError(`--port ${flags.port}: not a port number`);
      const { ENV_NAMES, InvalidStateError, PortInUseError, startEmulator } = await import(
        '@iam-onboarding/aws-emulator'
      );
      const emulator = await startEmulator({
        port,
        host: flags.host,
        ...(flags.state ? { stateFile: flags.state } : {}),
      }).catch((error: unknown) => {
        if (error instanceof PortInUseError || error instanceof InvalidStateError)
          throw new UsageError(error.message);
        throw error;
      });
      if (!LOOPBACK.has(flags.host)) {
        console.warn(
          `warning: listening on ${flags.host}: anyone who can reach it can read and change the account`,
        );
      }
      console.log(
        `iam-onboarding emulator listening on ${emulator.endpoint} (account ${emulator.accountId})`,
      );
      console.log('Point the AWS SDK, the AWS CLI or `onboard run` at it (any credentials do):');
      for (const name of ENV_NAMES) {
        // Step Functions is served only by `onboard serve`, which registers it on its own emulator.
        if (name !== 'AWS_ENDPOINT_URL_SFN') console.log(`  export ${name}=${emulator.env[name]}`);
      }
      // The AWS CLI v1 reads its region from this one.
      console.log(`  export AWS_DEFAULT_REGION=${emulator.region}`);
      console.log(
        `Control: ${emulator.endpoint}/_emulator/{state,faults,calls,reset,health} (packages/aws-emulator/README.md)`,
      );
      if (flags.state) console.log(`Saving the account to ${flags.state} on every change.`);
      await untilSignal('the emulator', () => emulator.stop());
    });
}
