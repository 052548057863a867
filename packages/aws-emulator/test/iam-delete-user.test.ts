import { generateKeyPairSync } from 'node:crypto';
import {
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetUserCommand,
  type IAMClient,
  ListMFADevicesCommand,
  ListVirtualMFADevicesCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { timeStep, totp } from '../src/iam/totp.ts';
import { CERTIFICATE_1 } from './certificates.ts';
import { awsError, controlCall, emulatorWithClients } from './helpers.ts';

const PEM_KEY = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
    format: 'pem',
    type: 'spki',
  }) as string;

/** Two consecutive codes of a seed, as a person types them from the device. */
function twoCodes(seed: string) {
  const step = timeStep(Date.now());
  return { AuthenticationCode1: totp(seed, step - 1), AuthenticationCode2: totp(seed, step) };
}

describe('DeleteUser and what a leaver can still have', () => {
  it.each([
    ['a signing certificate', 'must delete certificates first.'],
    ['an SSH public key', 'must remove referenced objects first.'],
    ['a service-specific credential', 'must remove referenced objects first.'],
  ] as const)(
    'refuses to delete a user that still has %s (DeleteConflict 409), and deletes it once that is removed',
    async (what, message) => {
      // Prepare
      const { iam } = await emulatorWithClients();
      await iam.send(new CreateUserCommand({ UserName: 'bob' }));
      const give: Record<typeof what, () => Promise<() => Promise<unknown>>> = {
        'a signing certificate': async () => {
          const c = await iam.send(
            new UploadSigningCertificateCommand({ UserName: 'bob', CertificateBody: CERTIFICATE_1 }),
          );
          return () =>
            iam.send(
              new DeleteSigningCertificateCommand({
                UserName: 'bob',
                CertificateId: c.Certificate?.CertificateId,
              }),
            );
        },
        'an SSH public key': async () => {
          const k = await iam.send(
            new UploadSSHPublicKeyCommand({ UserName: 'bob', SSHPublicKeyBody: PEM_KEY() }),
          );
          return () =>
            iam.send(
              new DeleteSSHPublicKeyCommand({
                UserName: 'bob',
                SSHPublicKeyId: k.SSHPublicKey?.SSHPublicKeyId,
              }),
            );
        },
        'a service-specific credential': async () => {
          const c = await iam.send(
            new CreateServiceSpecificCredentialCommand({
              UserName: 'bob',
              ServiceName: 'codecommit.amazonaws.com',
            }),
          );
          const id = c.ServiceSpecificCredential?.ServiceSpecificCredentialId;
          return () =>
            iam.send(
              new DeleteServiceSpecificCredentialCommand({
                UserName: 'bob',
                ServiceSpecificCredentialId: id,
              }),
            );
        },
      };
      const remove = await give[what]();

      // Act
      const error = await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })));
      await remove();
      await iam.send(new DeleteUserCommand({ UserName: 'bob' }));

      // Assess
      expect(error).toMatchObject({ code: 'DeleteConflict', status: 409 });
      expect(error.message).toBe(`Cannot delete entity, ${message}`);
      expect((await awsError(iam.send(new GetUserCommand({ UserName: 'bob' })))).code).toBe('NoSuchEntity');
    },
  );

  it('answers DeleteConflict for the next N DeleteUser calls after the last dependency went, when asked (deleteUserStaleConflicts)', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients({ deleteUserStaleConflicts: 2 });
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const k = await iam.send(new UploadSSHPublicKeyCommand({ UserName: 'bob', SSHPublicKeyBody: PEM_KEY() }));
    await iam.send(
      new DeleteSSHPublicKeyCommand({ UserName: 'bob', SSHPublicKeyId: k.SSHPublicKey?.SSHPublicKeyId }),
    );

    // Act
    const first = await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })));
    const second = await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })));
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));

    // Assess
    expect(first).toMatchObject({ code: 'DeleteConflict', status: 409 });
    expect(first.message).toBe('Cannot delete entity, must remove referenced objects first.');
    expect(second.code).toBe('DeleteConflict');
    expect(emulator.snapshot().users.bob).toBeUndefined();
  });

  it('answers DeleteConflict for a window after the last dependency went, measured on the injected clock (deleteUserSettleMs)', async () => {
    // Prepare
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { iam } = await emulatorWithClients({ deleteUserSettleMs: 5_000, clock: () => clock });
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const c = await iam.send(
      new UploadSigningCertificateCommand({ UserName: 'bob', CertificateBody: CERTIFICATE_1 }),
    );
    await iam.send(
      new DeleteSigningCertificateCommand({ UserName: 'bob', CertificateId: c.Certificate?.CertificateId }),
    );

    // Act
    clock += 4_999;
    const stale = await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })));
    clock += 1;
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));

    // Assess
    expect(stale.message).toBe('Cannot delete entity, must delete certificates first.');
    expect((await awsError(iam.send(new GetUserCommand({ UserName: 'bob' })))).code).toBe('NoSuchEntity');
  });

  it('switches the stale DeleteConflict on between calls through PUT /_emulator/consistency, and refuses a bad setting', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));

    // Act
    const set = await controlCall(emulator, 'PUT', 'consistency', { deleteUserStaleConflicts: 1 });
    const bad = await controlCall(emulator, 'PUT', 'consistency', { deleteUserStaleConflicts: 'soon' });
    const k = await iam.send(new UploadSSHPublicKeyCommand({ UserName: 'bob', SSHPublicKeyBody: PEM_KEY() }));
    await iam.send(
      new DeleteSSHPublicKeyCommand({ UserName: 'bob', SSHPublicKeyId: k.SSHPublicKey?.SSHPublicKeyId }),
    );
    const stale = await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })));
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));

    // Assess
    expect(set).toEqual({
      status: 200,
      json: { loginProfileSettleMs: 0, deleteUserSettleMs: 0, deleteUserStaleConflicts: 1 },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('deleteUserStaleConflicts');
    expect(stale.code).toBe('DeleteConflict');
  });

  it('never answers a stale DeleteConflict for a user nothing was ever removed from', async () => {
    // Prepare
    const { iam } = await emulatorWithClients({ deleteUserStaleConflicts: 3, deleteUserSettleMs: 60_000 });
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));

    // Act
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));

    // Assess
    expect((await awsError(iam.send(new GetUserCommand({ UserName: 'bob' })))).code).toBe('NoSuchEntity');
  });
});

describe('MFA devices of a leaver', () => {
  async function enabledVirtualDevice(iam: IAMClient, user: string, name: string) {
    const created = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
    const serial = created.VirtualMFADevice?.SerialNumber ?? '';
    const seed = Buffer.from(created.VirtualMFADevice?.Base32StringSeed ?? new Uint8Array()).toString('utf8');
    await iam.send(new EnableMFADeviceCommand({ UserName: user, SerialNumber: serial, ...twoCodes(seed) }));
    return serial;
  }

  it('enables a known hardware token by its serial with two of its codes, lists it, and deactivates it (no delete: it is not an IAM entity)', async () => {
    // Prepare
    const seed = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const { iam } = await emulatorWithClients({
      seed: { hardwareMfaDevices: { GAHT12345678: { serial: 'GAHT12345678', seed } } },
    });
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));

    // Act
    const wrong = await awsError(
      iam.send(
        new EnableMFADeviceCommand({
          UserName: 'bob',
          SerialNumber: 'GAHT12345678',
          AuthenticationCode1: '000000',
          AuthenticationCode2: '000000',
        }),
      ),
    );
    await iam.send(
      new EnableMFADeviceCommand({ UserName: 'bob', SerialNumber: 'GAHT12345678', ...twoCodes(seed) }),
    );
    const listed = await iam.send(new ListMFADevicesCommand({ UserName: 'bob' }));
    const virtuals = await iam.send(new ListVirtualMFADevicesCommand({}));
    const blocked = await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })));
    const notVirtual = await awsError(
      iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: 'GAHT12345678' })),
    );
    await iam.send(new DeactivateMFADeviceCommand({ UserName: 'bob', SerialNumber: 'GAHT12345678' }));
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));

    // Assess
    expect(wrong).toMatchObject({ code: 'InvalidAuthenticationCode', status: 403 });
    expect(listed.MFADevices).toEqual([
      { UserName: 'bob', SerialNumber: 'GAHT12345678', EnableDate: expect.any(Date) },
    ]);
    expect(virtuals.VirtualMFADevices).toEqual([]);
    expect(blocked.message).toBe('Cannot delete entity, must delete MFA device first.');
    expect(notVirtual).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it('refuses a serial that is neither a virtual device nor a known token (NoSuchEntity)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));

    // Act
    const error = await awsError(
      iam.send(
        new EnableMFADeviceCommand({
          UserName: 'bob',
          SerialNumber: 'GAHT99999999',
          AuthenticationCode1: '123456',
          AuthenticationCode2: '654321',
        }),
      ),
    );

    // Assess
    expect(error).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it('refuses to delete an enabled virtual device (DeleteConflict); deactivated, it is left over and blocks a new one of that name until deleted', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const serial = await enabledVirtualDevice(iam, 'bob', 'bob');

    // Act
    const enabled = await awsError(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial })));
    await iam.send(new DeactivateMFADeviceCommand({ UserName: 'bob', SerialNumber: serial }));
    const unassigned = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Unassigned' }));
    const leftover = await awsError(
      iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'bob' })),
    );
    // A deactivated (unassigned) virtual device does not block DeleteUser: it no longer hangs on the user.
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));
    await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));
    const again = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'bob' }));

    // Assess
    expect(enabled).toMatchObject({ code: 'DeleteConflict', status: 409 });
    expect(unassigned.VirtualMFADevices?.map((d) => d.SerialNumber)).toEqual([serial]);
    expect(leftover).toMatchObject({ code: 'EntityAlreadyExists', status: 409 });
    expect(again.VirtualMFADevice?.SerialNumber).toBe(serial);
  });

  it('answers NoSuchEntity to deactivating a device the user does not have, and to deleting a device already deleted', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const serial = await enabledVirtualDevice(iam, 'bob', 'bob');
    await iam.send(new DeactivateMFADeviceCommand({ UserName: 'bob', SerialNumber: serial }));
    await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));

    // Act
    const deactivate = await awsError(
      iam.send(new DeactivateMFADeviceCommand({ UserName: 'bob', SerialNumber: serial })),
    );
    const remove = await awsError(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial })));

    // Assess
    expect(deactivate).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(remove).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });
});
