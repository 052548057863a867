import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { UsageError } from '../io.ts';

/**
 * `onboard reveal`: the new member's side of the hand-over. It finds the armored age files an onboarding
 * delivered (in `onboard status --json`, `GET /onboardings/{id}`, the completion callback's body, or a
 * saved .age file) and opens them with the member's own private key, printing the credentials.
 */

const ARMOR = /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----\n?/g;

/** Every armored age file in a text: a bare .age file, or the ciphertexts inside an outcome's JSON. */
function ciphertextsIn(text: string): string[] {
  if (text.trimStart().startsWith('{')) {
    const found: string[] = [];
    const walk = (v: unknown) => {
      if (typeof v === 'string' && v.includes('-----BEGIN AGE ENCRYPTED FILE-----')) found.push(v);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    };
    walk(JSON.parse(text));
    return found;
  }
  return [...text.matchAll(ARMOR)].map((m) => m[0]);
}

export function revealCommand(): Command {
  return new Command('reveal')
    .description("decrypt the credentials an onboarding handed over, with the new member's own private key")
    .argument(
      '<request-id|file>',
      'a request id (read as onboard status does), or a file: status JSON, callback body or .age',
    )
    .requiredOption(
      '--identity <key file>',
      'your private key: an age key file (age-keygen) or ~/.ssh/id_ed25519',
    )
    .option('--state-machine-arn <arn>', 'the state machine (default: $ONBOARDING_STATE_MACHINE_ARN)')
    .option('--json', 'print JSON')
    .action(async (source: string, flags: { identity: string; stateMachineArn?: string; json?: boolean }) => {
      const { openWith } = await import('../../handover/credentials.ts');
      let keyFile: string;
      try {
        keyFile = await readFile(flags.identity, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read the identity file ${flags.identity}: ${(error as Error).message}`);
      }
      let text: string;
      if (existsSync(source)) text = await readFile(source, 'utf8');
      else {
        const { executionsFor } = await import('./start-status.ts');
        text = JSON.stringify(await (await executionsFor(flags.stateMachineArn)).outcome(source));
      }
      const sealed = ciphertextsIn(text);
      if (sealed.length === 0) {
        throw new UsageError(
          `${source} holds no encrypted credentials: the onboarding has not succeeded yet, or its profile kept the key in Secrets Manager (read it there after signing in)`,
        );
      }
      const opened = [];
      for (const file of sealed) {
        try {
          opened.push(await openWith(keyFile, file));
        } catch (error) {
          throw new UsageError(`cannot decrypt with ${flags.identity}: ${(error as Error).message}`);
        }
      }
      if (flags.json) {
        console.log(JSON.stringify(opened, null, 2));
        return;
      }
      for (const c of opened) {
        if (c.kind === 'console-sign-in') {
          console.log(
            [
              'Console sign-in',
              `  sign-in URL        ${c.signInUrl}`,
              `  user name          ${c.userName}`,
              `  one-time password  ${c.oneTimePassword}`,
              '  (set a new password at the first sign-in, then enrol an MFA device: docs/first-day.md)',
            ].join('\n'),
          );
        } else {
          console.log(
            [
              'Access key',
              `  user name          ${c.userName}`,
              `  access key id      ${c.accessKeyId}`,
              `  secret access key  ${c.secretAccessKey}`,
            ].join('\n'),
          );
        }
      }
    });
}
