import { randomInt } from 'node:crypto';
import type { PasswordRules } from '../gateways/iam.ts';
import { decryptWith, encryptTo } from './age.ts';

/**
 * What is handed over to the new member, encrypted to their own key: the console sign-in (URL, user
 * name, one-time password) and an access key. The plaintext exists only inside the Lambda that created
 * the credential, between the AWS answer and `sealFor`; only the armored age file leaves it.
 */

export interface ConsoleHandOver {
  kind: 'console-sign-in';
  signInUrl: string;
  userName: string;
  oneTimePassword: string;
}

export interface AccessKeyHandOver {
  kind: 'access-key';
  userName: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export type HandOver = ConsoleHandOver | AccessKeyHandOver;

/** The armored age file of a hand-over, to the request's recipient. */
export const sealFor = (recipient: string, handOver: HandOver): Promise<string> =>
  encryptTo(recipient, `${JSON.stringify(handOver, null, 2)}\n`);

/** Opens a sealed hand-over with the member's key file (age or OpenSSH ed25519). */
export async function openWith(keyFile: string, armored: string): Promise<HandOver> {
  const text = await decryptWith(keyFile, armored);
  const value = JSON.parse(text) as HandOver;
  if (value.kind !== 'console-sign-in' && value.kind !== 'access-key') {
    throw new Error('the decrypted file is not an onboarding hand-over');
  }
  return value;
}

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
/** Symbols IAM accepts in passwords (its "non-alphanumeric" set), without quotes that trip shells. */
const SYMBOLS = '!@#$%^&*()_+-=[]{}|';

/** How long a generated password is at least: well above IAM's default 8, within its 128. */
const GENERATED_LENGTH = 24;

const pick = (alphabet: string) => alphabet[randomInt(alphabet.length)] as string;

/**
 * A one-time password that meets the account's rules whatever they require: every character type at
 * least once, at least the policy's length (and never under 24), from a CSPRNG. Look-alike characters
 * (0/O, 1/l/I) are left out: the member types it once.
 */
export function generatePassword(rules: PasswordRules): string {
  const length = Math.min(128, Math.max(GENERATED_LENGTH, rules.minimumLength));
  const all = UPPER + LOWER + DIGITS + SYMBOLS;
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(all));
  // Fisher-Yates, so the guaranteed characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

/**
 * The console sign-in URL of an account: by its alias when it has one, else by its id; in the
 * partition's own sign-in domain.
 */
export function signInUrlOf(userArn: string, alias: string | undefined): string {
  const [, partition = 'aws', , , account = ''] = userArn.split(':');
  const domain =
    partition === 'aws-us-gov'
      ? 'signin.amazonaws-us-gov.com'
      : partition === 'aws-cn'
        ? 'signin.amazonaws.cn'
        : 'signin.aws.amazon.com';
  return `https://${alias ?? account}.${domain}/console`;
}
