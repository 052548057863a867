import { ListUsersCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openWith } from '../../src/handover/credentials.ts';
import type { Stack } from '../../src/local/stack.ts';
import { ageKeyPair, sshKeyPair } from '../helpers/hire-keys.ts';
import { iamOf, onboard, openTestStack } from '../helpers/local-stack.ts';

/**
 * The hand-over, end to end on the embedded stack: the request carries the hire's own public key (a
 * fresh age identity's recipient, or an SSH ed25519 key's); what the execution delivers opens with the
 * private key and nothing else, the access key it holds works, and the plaintext is nowhere else.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await openTestStack();
});
afterAll(async () => {
  await stack?.close();
});

interface Delivered {
  CreateLoginProfile: {
    ciphertext: string;
    signInUrl: string;
    userName: string;
    passwordResetRequired: boolean;
  };
  CreateAccessKey: { ciphertext: string; accessKeyId: string };
}

/** Runs an onboarding and keeps everything it wrote to the console (the functions' logs). */
async function onboardCapturingLogs(request: Record<string, unknown>) {
  const logged: string[] = [];
  const keep = (...args: unknown[]) => {
    logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      logged.push(String(chunk));
      return true;
    }),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(keep),
    ),
  ];
  try {
    const result = await onboard(stack, request);
    return { result, logs: logged.join('\n') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe.each([
  [
    'an age recipient',
    'HR-1201',
    'hedy',
    async () => {
      const k = await ageKeyPair();
      return { recipient: k.recipient, identity: k.identity };
    },
  ],
  [
    'an SSH ed25519 key',
    'HR-1202',
    'barbara',
    async () => {
      const k = sshKeyPair();
      return { recipient: k.publicKey, identity: k.privateKey };
    },
  ],
])('credentials handed over to %s', (_kind, requestId, userName, keys) => {
  it('open with the private key: the access key is the new user, the password decrypts, and the plaintext is nowhere else', async () => {
    const { recipient, identity } = await keys();
    const { result, logs } = await onboardCapturingLogs({
      requestId,
      userName,
      profile: 'elasticache-developer',
      contact: { recipient },
    });
    expect(result.status).toBe('SUCCEEDED');
    const created = (result.output as { created: Delivered }).created;

    const key = await openWith(identity, created.CreateAccessKey.ciphertext);
    const console_ = await openWith(identity, created.CreateLoginProfile.ciphertext);
    if (key.kind !== 'access-key' || console_.kind !== 'console-sign-in') throw new Error('wrong kinds');
    const sts = new STSClient({
      region: stack.region,
      endpoint: stack.env.AWS_ENDPOINT_URL_STS,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    });
    const identityArn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;

    expect(identityArn).toBe(
      `arn:aws:iam::${stack.accountId}:user${stack.runtimeConfig.userPath}${userName}`,
    );
    expect(key.accessKeyId).toBe(created.CreateAccessKey.accessKeyId);
    expect(console_).toMatchObject({ userName, signInUrl: created.CreateLoginProfile.signInUrl });
    expect(console_.oneTimePassword.length).toBeGreaterThanOrEqual(24);
    expect(created.CreateLoginProfile.passwordResetRequired).toBe(true);
    // Searched by value: the execution's input, output and every history event, and the logs.
    const everything = JSON.stringify(result);
    expect(everything).toContain(key.accessKeyId);
    for (const plaintext of [key.secretAccessKey, console_.oneTimePassword]) {
      expect(everything).not.toContain(plaintext);
      expect(logs).not.toContain(plaintext);
    }
  });

  it('does not open with another key, and says so', async () => {
    const { recipient } = await keys();
    const other = await ageKeyPair();
    const { result } = await onboardCapturingLogs({
      requestId: `${requestId}-X`,
      userName: `${userName}.x`,
      profile: 'developers',
      contact: { recipient },
    });
    const created = (result.output as { created: Delivered }).created;

    await expect(openWith(other.identity, created.CreateLoginProfile.ciphertext)).rejects.toThrow(
      /encrypted to another key/,
    );
  });
});

describe('a hand-over nobody could read', () => {
  it('is refused by the validation, naming contact.recipient and the fix, before anything is created', async () => {
    const iam = iamOf(stack);
    const before = (await iam.send(new ListUsersCommand({}))).Users?.length;

    const refused = onboard(stack, { requestId: 'HR-1299', userName: 'nokey', profile: 'sre' });

    await expect(refused).rejects.toMatchObject({
      name: 'InvalidRequest',
      issues: [
        {
          path: 'contact.recipient',
          message: expect.stringMatching(/nobody could ever read it; add .*age1/),
        },
      ],
    });
    expect((await iam.send(new ListUsersCommand({}))).Users?.length).toBe(before);
  });
});
