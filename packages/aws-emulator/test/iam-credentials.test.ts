import {
  ChangePasswordCommand,
  CreateAccessKeyCommand,
  CreateAccountAliasCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteAccountAliasCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetAccountPasswordPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListAccountAliasesCommand,
  ListMFADevicesCommand,
  ListVirtualMFADevicesCommand,
  PutUserPolicyCommand,
  UpdateAccountPasswordPolicyCommand,
  UpdateLoginProfileCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { consecutiveCodesMatch, timeStep, totp } from '../src/iam/totp.ts';
import type { Emulator } from '../src/index.ts';
import { awsError, clientsFor, emulatorWithClients, openEmulator } from './helpers.ts';

const PASSWORD = 'Tr1cky-Start!pass';

/** Clients signed with an access key of the emulator's: that user's own calls. */
async function asUser(emulator: Emulator, iam: IAMClient, userName: string) {
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  return clientsFor(emulator, {
    accessKeyId: key.AccessKey?.AccessKeyId ?? '',
    secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
  });
}

/** The base32 seed of a new virtual device, as an MFA app reads it from the SDK's bytes. */
async function newDevice(iam: IAMClient, name: string) {
  const created = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
  const seed = Buffer.from(created.VirtualMFADevice?.Base32StringSeed ?? new Uint8Array()).toString('utf8');
  return { serial: created.VirtualMFADevice?.SerialNumber ?? '', seed };
}

describe('TOTP codes', () => {
  it('computes RFC 6238 test vectors (SHA-1, truncated to six digits)', () => {
    // RFC 6238 appendix B: the ASCII seed "12345678901234567890" at T=59 s is 94287082, at 1111111109 s 07081804.
    const seed = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

    expect(totp(seed, timeStep(59_000))).toBe('287082');
    expect(totp(seed, timeStep(1_111_111_109_000))).toBe('081804');
  });

  it('accepts two consecutive codes and refuses them swapped', () => {
    const seed = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const now = 1_700_000_000_000;
    const step = timeStep(now);

    expect(consecutiveCodesMatch(seed, totp(seed, step - 1), totp(seed, step), now)).toBe(true);
    expect(consecutiveCodesMatch(seed, totp(seed, step), totp(seed, step - 1), now)).toBe(false);
  });
});

describe('login profiles', () => {
  it('creates a profile that requires a reset, then reports it and refuses a second one', async () => {
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    const created = await iam.send(
      new CreateLoginProfileCommand({ UserName: 'alice', Password: PASSWORD, PasswordResetRequired: true }),
    );
    const got = await iam.send(new GetLoginProfileCommand({ UserName: 'alice' }));
    const again = await awsError(
      iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: PASSWORD })),
    );

    expect(created.LoginProfile).toMatchObject({ UserName: 'alice', PasswordResetRequired: true });
    expect(got.LoginProfile?.PasswordResetRequired).toBe(true);
    expect(again).toMatchObject({ code: 'EntityAlreadyExists', status: 409 });
  });

  it("keeps only a hash of the password, never the password, in the account's state", async () => {
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: PASSWORD }));

    expect(JSON.stringify(emulator.snapshot())).not.toContain(PASSWORD);
    expect(emulator.snapshot().users.alice?.loginProfile?.passwordHash).toMatch(/^scrypt:/);
  });

  it("refuses a password that breaks IAM's default policy when the account has none", async () => {
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    const noPolicy = await awsError(iam.send(new GetAccountPasswordPolicyCommand({})));
    const short = await awsError(
      iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Ab1!' })),
    );
    const twoKinds = await awsError(
      iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'alllowercase123' })),
    );

    expect(noPolicy).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(noPolicy.message).toContain('000000000000');
    expect(short).toMatchObject({ code: 'PasswordPolicyViolation', status: 400 });
    expect(short.message).toContain('minimum length of 8');
    expect(twoKinds.message).toContain('three of');
  });

  it("applies the account's password policy once one is set", async () => {
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(
      new UpdateAccountPasswordPolicyCommand({
        MinimumPasswordLength: 20,
        RequireSymbols: true,
        RequireNumbers: true,
        AllowUsersToChangePassword: true,
      }),
    );

    const policy = await iam.send(new GetAccountPasswordPolicyCommand({}));
    const refused = await awsError(
      iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'NoSymbolsButLong12345' })),
    );
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Long-enough!and-12345' }));

    expect(policy.PasswordPolicy).toMatchObject({
      MinimumPasswordLength: 20,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: false,
      AllowUsersToChangePassword: true,
      ExpirePasswords: false,
    });
    expect(refused.message).toContain('at least one symbol');
  });

  it('answers EntityTemporarilyUnmodifiable to a change right after a change, and takes it once settled', async () => {
    // The window is measured on an injected clock: the test moves time instead of sleeping.
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { iam } = await emulatorWithClients({ loginProfileSettleMs: 10_000, clock: () => clock });
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: PASSWORD }));

    clock += 9_999;
    const update = await awsError(
      iam.send(new UpdateLoginProfileCommand({ UserName: 'alice', PasswordResetRequired: true })),
    );
    const remove = await awsError(iam.send(new DeleteLoginProfileCommand({ UserName: 'alice' })));
    clock += 1;
    await iam.send(new UpdateLoginProfileCommand({ UserName: 'alice', PasswordResetRequired: true }));
    const got = await iam.send(new GetLoginProfileCommand({ UserName: 'alice' }));
    const afterUpdate = await awsError(iam.send(new DeleteLoginProfileCommand({ UserName: 'alice' })));
    clock += 10_000;
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'alice' }));

    expect(update).toMatchObject({ code: 'EntityTemporarilyUnmodifiable', status: 409 });
    expect(remove.code).toBe('EntityTemporarilyUnmodifiable');
    expect(got.LoginProfile?.PasswordResetRequired).toBe(true);
    expect(afterUpdate.code).toBe('EntityTemporarilyUnmodifiable');
    expect(await awsError(iam.send(new GetLoginProfileCommand({ UserName: 'alice' })))).toMatchObject({
      code: 'NoSuchEntity',
      status: 404,
    });
  });

  it('switches the login profile window on and off between calls (emulator.consistency)', async () => {
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: PASSWORD }));

    emulator.consistency.set({ loginProfileSettleMs: 60_000 });
    const refused = await awsError(iam.send(new DeleteLoginProfileCommand({ UserName: 'alice' })));
    emulator.consistency.set({ loginProfileSettleMs: 0 });
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'alice' }));

    expect(refused.code).toBe('EntityTemporarilyUnmodifiable');
    expect(() => emulator.consistency.set({ loginProfileSettleMs: -1 })).toThrow(/loginProfileSettleMs/);
  });

  it('lets a user change their own password with the old one, which ends the required reset', async () => {
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(
      new CreateLoginProfileCommand({ UserName: 'alice', Password: PASSWORD, PasswordResetRequired: true }),
    );
    const alice = await asUser(emulator, iam, 'alice');

    const wrongOld = await awsError(
      alice.iam.send(
        new ChangePasswordCommand({ OldPassword: 'Not-the-0ld-one', NewPassword: 'New-pass-1234!' }),
      ),
    );
    const weak = await awsError(
      alice.iam.send(new ChangePasswordCommand({ OldPassword: PASSWORD, NewPassword: 'weak' })),
    );
    await alice.iam.send(new ChangePasswordCommand({ OldPassword: PASSWORD, NewPassword: 'New-pass-1234!' }));
    const after = await iam.send(new GetLoginProfileCommand({ UserName: 'alice' }));
    const oldAgain = await awsError(
      alice.iam.send(new ChangePasswordCommand({ OldPassword: PASSWORD, NewPassword: 'Other-pass-1234!' })),
    );

    expect(wrongOld.code).toBe('AccessDenied');
    expect(weak.code).toBe('PasswordPolicyViolation');
    expect(after.LoginProfile?.PasswordResetRequired).toBe(false);
    expect(oldAgain.code).toBe('AccessDenied');
  });

  it('refuses ChangePassword from a caller that is not an IAM user', async () => {
    const { iam } = await emulatorWithClients();

    const error = await awsError(iam.send(new ChangePasswordCommand({ OldPassword: 'a', NewPassword: 'b' })));

    expect(error.code).toBe('InvalidUserType');
  });

  it('blocks DeleteUser until the login profile is deleted', async () => {
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: PASSWORD }));

    const conflict = await awsError(iam.send(new DeleteUserCommand({ UserName: 'alice' })));
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'alice' }));
    await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
    const gone = await awsError(iam.send(new GetLoginProfileCommand({ UserName: 'alice' })));

    expect(conflict).toMatchObject({
      code: 'DeleteConflict',
      message: expect.stringContaining('login profile'),
    });
    expect(gone.code).toBe('NoSuchEntity');
  });
});

describe('account alias', () => {
  it('lists no alias, then the one created (a new one replaces it), then none after deletion', async () => {
    const { iam } = await emulatorWithClients();

    const before = await iam.send(new ListAccountAliasesCommand({}));
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: 'example-corp' }));
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: 'example-corp-prod' }));
    const after = await iam.send(new ListAccountAliasesCommand({}));
    const bad = await awsError(iam.send(new CreateAccountAliasCommand({ AccountAlias: 'Not_Valid' })));
    await iam.send(new DeleteAccountAliasCommand({ AccountAlias: 'example-corp-prod' }));
    const deleted = await iam.send(new ListAccountAliasesCommand({}));

    expect(before.AccountAliases).toEqual([]);
    expect(after.AccountAliases).toEqual(['example-corp-prod']);
    expect(bad.code).toBe('ValidationError');
    expect(deleted.AccountAliases).toEqual([]);
  });
});

describe('virtual MFA devices', () => {
  it('enables a device with two consecutive codes of its seed, lists it, and refuses wrong codes', async () => {
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const { serial, seed } = await newDevice(iam, 'alice');
    const step = timeStep();

    const wrong = await awsError(
      iam.send(
        new EnableMFADeviceCommand({
          UserName: 'alice',
          SerialNumber: serial,
          AuthenticationCode1: totp(seed, step),
          AuthenticationCode2: totp(seed, step - 1),
        }),
      ),
    );
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: 'alice',
        SerialNumber: serial,
        AuthenticationCode1: totp(seed, step - 1),
        AuthenticationCode2: totp(seed, step),
      }),
    );
    const listed = await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }));
    const assigned = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned' }));

    expect(serial).toBe('arn:aws:iam::000000000000:mfa/alice');
    expect(seed).toMatch(/^[A-Z2-7]{64}$/);
    expect(wrong).toMatchObject({ code: 'InvalidAuthenticationCode', status: 403 });
    expect(listed.MFADevices?.map((d) => d.SerialNumber)).toEqual([serial]);
    expect(assigned.VirtualMFADevices?.map((d) => d.User?.UserName)).toEqual(['alice']);
  });

  it('refuses to delete an enabled device and to delete its user, until it is deactivated', async () => {
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const { serial, seed } = await newDevice(iam, 'alice');
    const step = timeStep();
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: 'alice',
        SerialNumber: serial,
        AuthenticationCode1: totp(seed, step - 1),
        AuthenticationCode2: totp(seed, step),
      }),
    );

    const deviceInUse = await awsError(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial })));
    const userInUse = await awsError(iam.send(new DeleteUserCommand({ UserName: 'alice' })));
    await iam.send(new DeactivateMFADeviceCommand({ UserName: 'alice', SerialNumber: serial }));
    await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));
    await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
    const left = await iam.send(new ListVirtualMFADevicesCommand({}));

    expect(deviceInUse.code).toBe('DeleteConflict');
    expect(userInUse.message).toContain('MFA device');
    expect(left.VirtualMFADevices).toEqual([]);
  });

  it('refuses a second device of the same name', async () => {
    const { iam } = await emulatorWithClients();
    await newDevice(iam, 'alice');

    const again = await awsError(
      iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'alice' })),
    );

    expect(again.code).toBe('EntityAlreadyExists');
  });
});

describe('MFA sessions (STS GetSessionToken)', () => {
  const ONLY_WITH_MFA = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iam:GetUser', 'sts:GetSessionToken'], Resource: '*' },
      {
        Effect: 'Deny',
        NotAction: ['sts:GetSessionToken'],
        Resource: '*',
        Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
      },
    ],
  };

  it("evaluates a session opened with the user's MFA code as MFA-present, a long-term key and a plain session as not", async () => {
    const emulator = await openEmulator({ authorize: true });
    const admin = clientsFor(emulator, { accessKeyId: emulator.env.AWS_ACCESS_KEY_ID, secretAccessKey: 'x' });
    await admin.iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await admin.iam.send(
      new PutUserPolicyCommand({
        UserName: 'alice',
        PolicyName: 'mfa',
        PolicyDocument: JSON.stringify(ONLY_WITH_MFA),
      }),
    );
    const { serial, seed } = await newDevice(admin.iam, 'alice');
    const step = timeStep();
    await admin.iam.send(
      new EnableMFADeviceCommand({
        UserName: 'alice',
        SerialNumber: serial,
        AuthenticationCode1: totp(seed, step - 1),
        AuthenticationCode2: totp(seed, step),
      }),
    );
    const alice = await asUser(emulator, admin.iam, 'alice');
    const sessionClients = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string }) => {
      const credentials = {
        accessKeyId: c.AccessKeyId ?? '',
        secretAccessKey: c.SecretAccessKey ?? '',
        sessionToken: c.SessionToken ?? '',
      };
      const config = { region: emulator.region, endpoint: emulator.endpoint, maxAttempts: 1, credentials };
      return { iam: new IAMClient(config), sts: new STSClient(config) };
    };

    const longTerm = await awsError(alice.iam.send(new GetUserCommand({})));
    const plain = sessionClients((await alice.sts.send(new GetSessionTokenCommand({}))).Credentials ?? {});
    const plainDenied = await awsError(plain.iam.send(new GetUserCommand({})));
    const badCode = await awsError(
      alice.sts.send(new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: '000000' })),
    );
    const withMfa = sessionClients(
      (
        await alice.sts.send(
          new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: totp(seed, timeStep()) }),
        )
      ).Credentials ?? {},
    );
    const self = await withMfa.iam.send(new GetUserCommand({}));
    const identity = await withMfa.sts.send(new GetCallerIdentityCommand({}));

    expect(longTerm.message).toContain('explicit deny');
    expect(plainDenied.code).toBe('AccessDenied');
    expect(badCode.code).toBe('AccessDenied');
    expect(self.User?.UserName).toBe('alice');
    expect(identity.Arn).toBe('arn:aws:iam::000000000000:user/alice');
  });
});
