import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index.ts';
import { awsError, clientsFor, emulatorWithClients } from './helpers.ts';

/** A user with one access key, and clients signed with that key (the user's own calls). */
async function userWithKey(emulator: Emulator, iam: IAMClient, userName: string) {
  await iam.send(new CreateUserCommand({ UserName: userName }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const id = key.AccessKey?.AccessKeyId ?? '';
  return {
    id,
    own: clientsFor(emulator, { accessKeyId: id, secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' }),
  };
}

describe('access keys of a leaver', () => {
  it('makes a key Inactive and Active again, and lists its status', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    const { id } = await userWithKey(emulator, iam, 'alice');

    // Act
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: id, Status: 'Inactive' }));
    const inactive = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: id, Status: 'Active' }));
    const active = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));

    // Assess
    expect(inactive.AccessKeyMetadata).toEqual([
      expect.objectContaining({ UserName: 'alice', AccessKeyId: id, Status: 'Inactive' }),
    ]);
    expect(active.AccessKeyMetadata?.[0]?.Status).toBe('Active');
  });

  it("refuses an unknown key (NoSuchEntity 404), another user's key, and a status that is not Active or Inactive", async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    const { id } = await userWithKey(emulator, iam, 'alice');
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));

    // Act
    const unknown = await awsError(
      iam.send(
        new UpdateAccessKeyCommand({
          UserName: 'alice',
          AccessKeyId: 'local-nokey0000000',
          Status: 'Inactive',
        }),
      ),
    );
    const notBobs = await awsError(
      iam.send(new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: id, Status: 'Inactive' })),
    );
    const badStatus = await awsError(
      iam.send(
        // @ts-expect-error: a status IAM does not know, as a hand-written request could send
        new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: id, Status: 'Disabled' }),
      ),
    );
    const noUser = await awsError(
      iam.send(new UpdateAccessKeyCommand({ UserName: 'carol', AccessKeyId: id, Status: 'Inactive' })),
    );

    // Assess
    expect(unknown).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(unknown.message).toBe('The Access Key with id local-nokey0000000 cannot be found.');
    expect(notBobs.code).toBe('NoSuchEntity');
    expect(badStatus).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(badStatus.message).toContain('[Active, Inactive]');
    expect(noUser.message).toBe('The user with name carol cannot be found.');
    expect(emulator.snapshot().users.alice?.keys[0]?.status).toBe('Active');
  });

  it('acts on the caller’s own keys when UserName is omitted', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    const { id, own } = await userWithKey(emulator, iam, 'alice');

    // Act
    const listed = await own.iam.send(new ListAccessKeysCommand({}));
    await own.iam.send(new UpdateAccessKeyCommand({ AccessKeyId: id, Status: 'Inactive' }));
    const operator = await awsError(iam.send(new ListAccessKeysCommand({})));

    // Assess
    expect(listed.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([id]);
    expect(emulator.snapshot().users.alice?.keys[0]?.status).toBe('Inactive');
    expect(operator).toMatchObject({ code: 'ValidationError' });
  });

  it('reports a key never used as N/A, then the service, region and date of its last request', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    const { id, own } = await userWithKey(emulator, iam, 'alice');
    const before = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id }));
    const start = Date.now();

    // Act
    await own.iam.send(new GetUserCommand({}));
    const after = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id }));

    // Assess
    expect(before.UserName).toBe('alice');
    expect(before.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
    expect(after.AccessKeyLastUsed).toMatchObject({ ServiceName: 'iam', Region: emulator.region });
    expect(after.AccessKeyLastUsed?.LastUsedDate?.getTime()).toBeGreaterThanOrEqual(start - 1000);
  });

  it('answers AccessDenied for a key the account does not have, as IAM does', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const error = await awsError(
      iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'local-gone000000' })),
    );

    // Assess
    expect(error).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(error.message).toContain('iam:GetAccessKeyLastUsed on resource: access key local-gone000000');
  });
});
