import {
  ChangePasswordCommand,
  CreateAccessKeyCommand,
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWith } from '../../src/handover/credentials.ts';
import type { Stack } from '../../src/local/stack.ts';
import { ageKeyPair } from '../helpers/hire-keys.ts';
import { onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';

/**
 * The new member's first day, on the embedded stack with IAM authorization on (every call evaluated by
 * @cloud-copilot/iam-simulate against the user's boundary ∩ their group's, their own and the self-service
 * policies): with the key the hand-over delivered and no MFA yet, they can set their password and enrol
 * their own virtual MFA device, and nothing else; with an MFA session (sts:GetSessionToken, as
 * docs/first-day.md says) their profile's permissions apply. A deadlock - a boundary that allows the
 * password change with no identity policy that grants it - fails here.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await openTestStack();
});
afterAll(async () => {
  await stack?.close();
});

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** The member's own clients, as their CLI would make them (no retry: a denial is an answer). */
function clientsOf(credentials: Credentials) {
  const base = { region: stack.region, maxAttempts: 1, credentials };
  return {
    iam: new IAMClient({ ...base, endpoint: stack.env.AWS_ENDPOINT_URL_IAM }),
    sts: new STSClient({ ...base, endpoint: stack.env.AWS_ENDPOINT_URL_STS }),
    secrets: new SecretsManagerClient({ ...base, endpoint: stack.env.AWS_ENDPOINT_URL_SECRETS_MANAGER }),
  };
}

/** `allowed`, or the error's name: what the member sees. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'allowed';
  } catch (error) {
    return (error as Error).name;
  }
}

describe("a new member's first day", () => {
  it('without MFA: own password and own MFA device only; with an MFA session: the profile applies', async () => {
    // Arrange: the onboarding, and a secret an admin left for the member under their own prefix.
    const hire = await ageKeyPair();
    const userName = 'katherine';
    const result = await onboard(stack, {
      requestId: 'HR-1301',
      userName,
      profile: 'elasticache-developer',
      contact: { recipient: hire.recipient },
    });
    expect(result.status).toBe('SUCCEEDED');
    const created = (
      result.output as { created: Record<'CreateAccessKey' | 'CreateLoginProfile', { ciphertext: string }> }
    ).created;
    const key = await openWith(hire.identity, created.CreateAccessKey.ciphertext);
    const signIn = await openWith(hire.identity, created.CreateLoginProfile.ciphertext);
    if (key.kind !== 'access-key' || signIn.kind !== 'console-sign-in') throw new Error('wrong kinds');
    const ownSecret = `${stack.runtimeConfig.secretPrefix}${userName}/welcome`;
    const othersSecret = `${stack.runtimeConfig.secretPrefix}someone-else/welcome`;
    for (const name of [ownSecret, othersSecret]) {
      await secretsOf(stack).send(new CreateSecretCommand({ Name: name, SecretString: `notes for ${name}` }));
    }
    const member = clientsOf({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
    const table: [string, string, string][] = [];
    const check = async (when: string, what: string, call: Promise<unknown>) => {
      const got = await outcome(call);
      table.push([when, what, got]);
      return got;
    };

    // Act 1: the first sign-in's work, with the long-term key and no MFA.
    const before = 'no MFA';
    const whoAmI = await check(before, 'iam:GetUser (self)', member.iam.send(new GetUserCommand({})));
    const newPassword = `First-day-${'x'.repeat(12)}-9!Q`;
    const password = await check(
      before,
      'iam:ChangePassword (one-time -> own)',
      member.iam.send(
        new ChangePasswordCommand({ OldPassword: signIn.oneTimePassword, NewPassword: newPassword }),
      ),
    );
    const readBeforeMfa = await check(
      before,
      'secretsmanager:GetSecretValue (own)',
      member.secrets.send(new GetSecretValueCommand({ SecretId: ownSecret })),
    );
    const listBeforeMfa = await check(before, 'iam:ListUsers', member.iam.send(new ListUsersCommand({})));
    const device = await member.iam.send(
      new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: userName }),
    );
    table.push([before, 'iam:CreateVirtualMFADevice (own)', 'allowed']);
    const serial = device.VirtualMFADevice?.SerialNumber ?? '';
    const seed = Buffer.from(device.VirtualMFADevice?.Base32StringSeed ?? new Uint8Array()).toString('utf8');
    // The member's authenticator app: RFC 6238 from the seed, independent of the emulator's own code.
    const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(seed), digits: 6, period: 30 });
    const now = Date.now();
    const enable = await check(
      before,
      'iam:EnableMFADevice (own, two codes)',
      member.iam.send(
        new EnableMFADeviceCommand({
          UserName: userName,
          SerialNumber: serial,
          AuthenticationCode1: app.generate({ timestamp: now - 30_000 }),
          AuthenticationCode2: app.generate({ timestamp: now }),
        }),
      ),
    );
    const removeWithoutMfa = await check(
      before,
      'iam:DeactivateMFADevice (own)',
      member.iam.send(new DeactivateMFADeviceCommand({ UserName: userName, SerialNumber: serial })),
    );

    // Act 2: an MFA session for the key, then the member's work.
    const session = await member.sts.send(
      new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: app.generate() }),
    );
    table.push(['', 'sts:GetSessionToken (with the MFA code)', 'allowed']);
    const mfa = clientsOf({
      accessKeyId: session.Credentials?.AccessKeyId ?? '',
      secretAccessKey: session.Credentials?.SecretAccessKey ?? '',
      sessionToken: session.Credentials?.SessionToken ?? '',
    });
    const after = 'MFA session';
    const readWithMfa = await check(
      after,
      'secretsmanager:GetSecretValue (own)',
      mfa.secrets.send(new GetSecretValueCommand({ SecretId: ownSecret })),
    );
    const readOthers = await check(
      after,
      "secretsmanager:GetSecretValue (another user's)",
      mfa.secrets.send(new GetSecretValueCommand({ SecretId: othersSecret })),
    );
    const listWithMfa = await check(after, 'iam:ListUsers', mfa.iam.send(new ListUsersCommand({})));
    const ownKey = await check(
      after,
      'iam:CreateAccessKey (self)',
      mfa.iam.send(new CreateAccessKeyCommand({ UserName: userName })),
    );
    const profile = await stack.clients('test').iam.send(new GetLoginProfileCommand({ UserName: userName }));
    const width = Math.max(...table.map(([, w]) => w.length));
    console.log(
      `\nFirst day of ${userName} (elasticache-developer), every call evaluated by the emulator's IAM:\n${table
        .map(([when, what, got]) => `  ${when.padEnd(11)} ${what.padEnd(width)}  ${got}`)
        .join('\n')}\n`,
    );

    // Assert
    expect(whoAmI).toBe('allowed');
    expect(password).toBe('allowed');
    expect(profile.LoginProfile?.PasswordResetRequired).toBe(false);
    expect(readBeforeMfa).toBe('AccessDeniedException');
    expect(listBeforeMfa).toBe('AccessDenied');
    expect(serial).toBe(`arn:aws:iam::${stack.accountId}:mfa/${userName}`);
    expect(enable).toBe('allowed');
    expect(removeWithoutMfa).toBe('AccessDenied');
    expect(readWithMfa).toBe('allowed');
    expect(readOthers).toBe('AccessDeniedException');
    expect(listWithMfa).toBe('AccessDenied');
    expect(ownKey).toBe('AccessDenied');
  });
});
