import { generateKeyPairSync } from 'node:crypto';
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListVirtualMFADevicesCommand,
  PutUserPolicyCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type Emulator, startEmulator } from '@iam-onboarding/aws-emulator';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CERTIFICATE_1 } from '../../packages/aws-emulator/test/certificates.ts';
import type { PolicyDocument } from '../../src/deploy/roles.ts';
import { type LeaverInventory, SdkLeaverGateway } from '../../src/gateways/leaver.ts';

/**
 * SdkLeaverGateway through the real SDK client against the project's IAM emulator (no mocks): what
 * IAM answers on the wire - pagination, 'N/A' for a key never used, URL-encoded documents, error
 * codes - is what the gateway reads.
 */

const ACCOUNT = '000000000000';
const PASSWORD = 'Tr1cky-Start!pass';
const INLINE: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: '*' }],
};

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});
beforeEach(() => {
  emulator.reset();
});

type Credentials = { accessKeyId: string; secretAccessKey: string };

function iamClient(credentials: Credentials = operator()) {
  return new IAMClient({ endpoint: emulator.endpoint, region: emulator.region, maxAttempts: 1, credentials });
}

const operator = (): Credentials => ({ accessKeyId: emulator.env.AWS_ACCESS_KEY_ID, secretAccessKey: 'x' });

/** A client that asks for one item per page: every listing of two or more takes several calls. */
function onePerPage(): IAMClient {
  const client = iamClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName?.startsWith('List')) (args.input as { MaxItems?: number }).MaxItems = 1;
      return next(args);
    },
    { step: 'initialize', name: 'onePerPage' },
  );
  return client;
}

const callsTo = (action: string) => emulator.calls().find((c) => c.action === action)?.calls ?? 0;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

/** A leaver carrying one or two of everything IAM can hang on a user, made with the SDK directly. */
async function arrangeLeaver(userName = 'leaver') {
  const iam = iamClient();
  const { User } = await iam.send(
    new CreateUserCommand({ UserName: userName, Path: '/staff/', Tags: [{ Key: 'team', Value: 'data' }] }),
  );
  const used = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
  const unused = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
  const beforeUse = Date.now();
  const sts = new STSClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    maxAttempts: 1,
    credentials: { accessKeyId: used?.AccessKeyId ?? '', secretAccessKey: used?.SecretAccessKey ?? '' },
  });
  await sts.send(new GetCallerIdentityCommand({}));
  const afterUse = Date.now();
  await iam.send(new CreateLoginProfileCommand({ UserName: userName, Password: PASSWORD }));

  const device = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: userName }));
  const serial = device.VirtualMFADevice?.SerialNumber ?? '';
  const seed = Buffer.from(device.VirtualMFADevice?.Base32StringSeed ?? new Uint8Array()).toString('utf8');
  // An authenticator app: RFC 6238 from the seed, independent of the emulator's own code.
  const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(seed), digits: 6, period: 30 });
  const now = Date.now();
  await iam.send(
    new EnableMFADeviceCommand({
      UserName: userName,
      SerialNumber: serial,
      AuthenticationCode1: app.generate({ timestamp: now - 30_000 }),
      AuthenticationCode2: app.generate({ timestamp: now }),
    }),
  );

  const sshBody = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
    format: 'pem',
    type: 'spki',
  }) as string;
  const ssh = await iam.send(
    new UploadSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyBody: sshBody }),
  );
  const certificate = await iam.send(
    new UploadSigningCertificateCommand({ UserName: userName, CertificateBody: CERTIFICATE_1 }),
  );
  const serviceCredential = await iam.send(
    new CreateServiceSpecificCredentialCommand({
      UserName: userName,
      ServiceName: 'codecommit.amazonaws.com',
    }),
  );
  await iam.send(
    new PutUserPolicyCommand({
      UserName: userName,
      PolicyName: 'read-logs',
      PolicyDocument: JSON.stringify(INLINE),
    }),
  );
  await iam.send(
    new PutUserPolicyCommand({
      UserName: userName,
      PolicyName: 'read-metrics',
      PolicyDocument: JSON.stringify(INLINE),
    }),
  );
  const policy = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'data-reader',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      }),
    }),
  );
  const policyArn = policy.Policy?.Arn ?? '';
  await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn }));
  for (const group of ['analysts', 'on-call']) {
    await iam.send(new CreateGroupCommand({ GroupName: group }));
    await iam.send(new AddUserToGroupCommand({ UserName: userName, GroupName: group }));
  }
  return {
    userName,
    user: User,
    used,
    unused,
    useWindow: [beforeUse, afterUse] as const,
    serial,
    sshId: ssh.SSHPublicKey?.SSHPublicKeyId ?? '',
    certificateId: certificate.Certificate?.CertificateId ?? '',
    serviceCredential: serviceCredential.ServiceSpecificCredential,
    policyArn,
  };
}

describe('SdkLeaverGateway.inventory', () => {
  it('reads everything a leaver carries, every page of every list', async () => {
    const leaver = await arrangeLeaver();
    const gateway = new SdkLeaverGateway(onePerPage());
    emulator.clearCalls();

    const inventory = await gateway.inventory('leaver');

    const expected: LeaverInventory = {
      user: {
        name: 'leaver',
        arn: `arn:aws:iam::${ACCOUNT}:user/staff/leaver`,
        userId: leaver.user?.UserId ?? 'missing',
        path: '/staff/',
        tags: { team: 'data' },
      },
      loginProfile: true,
      accessKeys: [
        {
          id: leaver.used?.AccessKeyId ?? 'missing',
          status: 'Active',
          createdAt: leaver.used?.CreateDate?.toISOString() ?? 'missing',
          lastUsedAt: expect.any(String),
          lastUsedService: 'sts',
        },
        {
          id: leaver.unused?.AccessKeyId ?? 'missing',
          status: 'Active',
          createdAt: leaver.unused?.CreateDate?.toISOString() ?? 'missing',
        },
      ],
      sshPublicKeys: [{ id: leaver.sshId, status: 'Active' }],
      signingCertificates: [{ id: leaver.certificateId, status: 'Active' }],
      serviceSpecificCredentials: [
        {
          id: leaver.serviceCredential?.ServiceSpecificCredentialId ?? 'missing',
          status: 'Active',
          service: 'codecommit.amazonaws.com',
          serviceUserName: leaver.serviceCredential?.ServiceUserName ?? 'missing',
        },
      ],
      mfaDevices: [{ serial: `arn:aws:iam::${ACCOUNT}:mfa/leaver`, virtual: true }],
      inlinePolicies: ['read-logs', 'read-metrics'],
      attachedPolicies: [leaver.policyArn],
      groups: ['analysts', 'on-call'],
    };
    expect(inventory).toEqual(expected);
    const lastUsedAt = Date.parse(inventory?.accessKeys[0]?.lastUsedAt ?? '');
    // The emulator stamps to the millisecond; a second either side allows for a coarser clock.
    expect(lastUsedAt).toBeGreaterThanOrEqual(leaver.useWindow[0] - 1000);
    expect(lastUsedAt).toBeLessThanOrEqual(leaver.useWindow[1] + 1000);
    expect(inventory?.accessKeys[0]?.lastUsedAt).toBe(new Date(lastUsedAt).toISOString());
    // Two items at one per page: a second page was asked for each list of two.
    expect(callsTo('ListAccessKeys')).toBe(2);
    expect(callsTo('ListUserPolicies')).toBe(2);
    expect(callsTo('ListGroupsForUser')).toBe(2);
    expect(callsTo('GetAccessKeyLastUsed')).toBe(2);
  });

  it('reads a bare user as carrying nothing', async () => {
    await iamClient().send(new CreateUserCommand({ UserName: 'bare' }));
    const gateway = new SdkLeaverGateway(iamClient());

    const inventory = await gateway.inventory('bare');

    expect(inventory).toMatchObject({
      user: { name: 'bare', path: '/', tags: {} },
      loginProfile: false,
      accessKeys: [],
      sshPublicKeys: [],
      signingCertificates: [],
      serviceSpecificCredentials: [],
      mfaDevices: [],
      inlinePolicies: [],
      attachedPolicies: [],
      groups: [],
    });
  });

  it('answers undefined for a user that does not exist', async () => {
    const gateway = new SdkLeaverGateway(iamClient());

    const inventory = await gateway.inventory('nobody');

    expect(inventory).toBeUndefined();
    expect(callsTo('GetUser')).toBe(1);
  });
});

describe('SdkLeaverGateway credentials', () => {
  const kinds = [
    {
      kind: 'access key',
      id: (l: Awaited<ReturnType<typeof arrangeLeaver>>) => l.unused?.AccessKeyId ?? '',
      update: (g: SdkLeaverGateway, id: string, s: 'Active' | 'Inactive') =>
        g.updateAccessKey('leaver', id, s),
      remove: (g: SdkLeaverGateway, id: string) => g.deleteAccessKey('leaver', id),
      status: (i: LeaverInventory | undefined, id: string) => i?.accessKeys.find((c) => c.id === id)?.status,
    },
    {
      kind: 'SSH public key',
      id: (l: Awaited<ReturnType<typeof arrangeLeaver>>) => l.sshId,
      update: (g: SdkLeaverGateway, id: string, s: 'Active' | 'Inactive') =>
        g.updateSshPublicKey('leaver', id, s),
      remove: (g: SdkLeaverGateway, id: string) => g.deleteSshPublicKey('leaver', id),
      status: (i: LeaverInventory | undefined, id: string) =>
        i?.sshPublicKeys.find((c) => c.id === id)?.status,
    },
    {
      kind: 'signing certificate',
      id: (l: Awaited<ReturnType<typeof arrangeLeaver>>) => l.certificateId,
      update: (g: SdkLeaverGateway, id: string, s: 'Active' | 'Inactive') =>
        g.updateSigningCertificate('leaver', id, s),
      remove: (g: SdkLeaverGateway, id: string) => g.deleteSigningCertificate('leaver', id),
      status: (i: LeaverInventory | undefined, id: string) =>
        i?.signingCertificates.find((c) => c.id === id)?.status,
    },
    {
      kind: 'service-specific credential',
      id: (l: Awaited<ReturnType<typeof arrangeLeaver>>) =>
        l.serviceCredential?.ServiceSpecificCredentialId ?? '',
      update: (g: SdkLeaverGateway, id: string, s: 'Active' | 'Inactive') =>
        g.updateServiceSpecificCredential('leaver', id, s),
      remove: (g: SdkLeaverGateway, id: string) => g.deleteServiceSpecificCredential('leaver', id),
      status: (i: LeaverInventory | undefined, id: string) =>
        i?.serviceSpecificCredentials.find((c) => c.id === id)?.status,
    },
  ];

  it.each(kinds)('switches a $kind off and on, deletes it, and answers false once it is gone', async (k) => {
    const leaver = await arrangeLeaver();
    const gateway = new SdkLeaverGateway(iamClient());
    const id = k.id(leaver);

    const off = await k.update(gateway, id, 'Inactive');
    const afterOff = k.status(await gateway.inventory('leaver'), id);
    const on = await k.update(gateway, id, 'Active');
    const afterOn = k.status(await gateway.inventory('leaver'), id);
    const deleted = await k.remove(gateway, id);
    const afterDelete = k.status(await gateway.inventory('leaver'), id);
    const deletedAgain = await k.remove(gateway, id);
    const updatedGone = await k.update(gateway, id, 'Inactive');

    expect(id).not.toBe('');
    expect([off, afterOff]).toEqual([true, 'Inactive']);
    expect([on, afterOn]).toEqual([true, 'Active']);
    expect([deleted, afterDelete]).toEqual([true, undefined]);
    expect([deletedAgain, updatedGone]).toEqual([false, false]);
  });
});

describe('SdkLeaverGateway removals', () => {
  it('deletes the login profile once, then answers false', async () => {
    await arrangeLeaver();
    const gateway = new SdkLeaverGateway(iamClient());

    const first = await gateway.deleteLoginProfile('leaver');
    const second = await gateway.deleteLoginProfile('leaver');

    expect([first, second]).toEqual([true, false]);
    await expect(iamClient().send(new GetLoginProfileCommand({ UserName: 'leaver' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
  });

  it('leaves EntityTemporarilyUnmodifiable on a login profile to the state machine to retry', async () => {
    await iamClient().send(new CreateUserCommand({ UserName: 'fresh' }));
    emulator.consistency.set({ loginProfileSettleMs: 60_000 });
    await iamClient().send(new CreateLoginProfileCommand({ UserName: 'fresh', Password: PASSWORD }));
    const gateway = new SdkLeaverGateway(iamClient());

    const error = await rejection(gateway.deleteLoginProfile('fresh'));

    expect(error.name).toBe('EntityTemporarilyUnmodifiable');
    emulator.consistency.set({ loginProfileSettleMs: 0 });
    await expect(gateway.deleteLoginProfile('fresh')).resolves.toBe(true);
  });

  it('deactivates the MFA device and deletes it, false the second time', async () => {
    const leaver = await arrangeLeaver();
    const gateway = new SdkLeaverGateway(iamClient());

    const deactivated = await gateway.deactivateMfaDevice('leaver', leaver.serial);
    const deactivatedAgain = await gateway.deactivateMfaDevice('leaver', leaver.serial);
    const deleted = await gateway.deleteVirtualMfaDevice(leaver.serial);
    const deletedAgain = await gateway.deleteVirtualMfaDevice(leaver.serial);

    expect([deactivated, deactivatedAgain]).toEqual([true, false]);
    expect([deleted, deletedAgain]).toEqual([true, false]);
    const left = await iamClient().send(new ListVirtualMFADevicesCommand({}));
    expect(left.VirtualMFADevices).toEqual([]);
  });

  it("refuses to delete a virtual MFA device by a hardware device's serial, without calling IAM", async () => {
    const gateway = new SdkLeaverGateway(iamClient());

    const error = await rejection(gateway.deleteVirtualMfaDevice('GAHT12345678'));

    expect(error.name).toBe('InvalidInput');
    expect(callsTo('DeleteVirtualMFADevice')).toBe(0);
  });

  it('deletes an inline policy (false the second time), attaches a managed one, tags and untags the user', async () => {
    const leaver = await arrangeLeaver();
    const gateway = new SdkLeaverGateway(iamClient());

    const deleted = await gateway.deleteUserPolicy('leaver', 'read-logs');
    const deletedAgain = await gateway.deleteUserPolicy('leaver', 'read-logs');
    await gateway.detachUserPolicy('leaver', leaver.policyArn);
    await gateway.attachUserPolicy('leaver', leaver.policyArn);
    await gateway.tagUser('leaver', 'onboarding:offboarding', 'OFF-1');
    const tagged = (await gateway.inventory('leaver'))?.user.tags['onboarding:offboarding'];
    const untagged = await gateway.untagUser('leaver', 'onboarding:offboarding');
    const after = await gateway.inventory('leaver');

    expect([deleted, deletedAgain]).toEqual([true, false]);
    expect(after?.inlinePolicies).not.toContain('read-logs');
    expect(after?.attachedPolicies).toContain(leaver.policyArn);
    expect(tagged).toBe('OFF-1');
    expect(untagged).toBe(true);
    expect(after?.user.tags['onboarding:offboarding']).toBeUndefined();
  });

  it('detaches a managed policy and leaves a group, false the second time', async () => {
    const leaver = await arrangeLeaver();
    const gateway = new SdkLeaverGateway(iamClient());

    const detached = await gateway.detachUserPolicy('leaver', leaver.policyArn);
    const detachedAgain = await gateway.detachUserPolicy('leaver', leaver.policyArn);
    const removed = await gateway.removeUserFromGroup('leaver', 'analysts');
    const removedAgain = await gateway.removeUserFromGroup('leaver', 'analysts');
    const inventory = await gateway.inventory('leaver');

    expect([detached, detachedAgain]).toEqual([true, false]);
    expect([removed, removedAgain]).toEqual([true, false]);
    expect(inventory?.attachedPolicies).toEqual([]);
    expect(inventory?.groups).toEqual(['on-call']);
  });
});

describe('SdkLeaverGateway.deleteUser', () => {
  it('is refused with a Conflict while anything is attached, and deletes the user once bare', async () => {
    const leaver = await arrangeLeaver();
    const gateway = new SdkLeaverGateway(iamClient());

    const refused = await rejection(gateway.deleteUser('leaver'));
    const stillThere = await gateway.inventory('leaver');
    const inventory = stillThere as LeaverInventory;
    for (const k of inventory.accessKeys) await gateway.deleteAccessKey('leaver', k.id);
    for (const k of inventory.sshPublicKeys) await gateway.deleteSshPublicKey('leaver', k.id);
    for (const c of inventory.signingCertificates) await gateway.deleteSigningCertificate('leaver', c.id);
    for (const c of inventory.serviceSpecificCredentials)
      await gateway.deleteServiceSpecificCredential('leaver', c.id);
    for (const d of inventory.mfaDevices) await gateway.deactivateMfaDevice('leaver', d.serial);
    for (const p of inventory.inlinePolicies) await gateway.deleteUserPolicy('leaver', p);
    for (const p of inventory.attachedPolicies) await gateway.detachUserPolicy('leaver', p);
    for (const g of inventory.groups) await gateway.removeUserFromGroup('leaver', g);
    const refusedWithProfile = await rejection(gateway.deleteUser('leaver'));
    await gateway.deleteLoginProfile('leaver');
    const deleted = await gateway.deleteUser('leaver');
    const deletedAgain = await gateway.deleteUser('leaver');
    const after = await gateway.inventory('leaver');

    expect(refused.name).toBe('Conflict');
    expect(stillThere?.user.arn).toBe(leaver.user?.Arn);
    expect(refusedWithProfile.name).toBe('Conflict');
    expect([deleted, deletedAgain]).toEqual([true, false]);
    expect(after).toBeUndefined();
  });
});

describe('SdkLeaverGateway under a role scoped by path', () => {
  // A role that may change users under /staff/ only, and read any user: IAM refuses a change on a user
  // that is gone (nothing carries the path any more), where the gateway reads the user back.
  const ROLE_KEY = 'leaver-role';
  beforeEach(() => {
    emulator.authorization.registerPrincipal(ROLE_KEY, {
      arn: `arn:aws:iam::${ACCOUNT}:role/leaver`,
      identityPolicies: [
        {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'iam:*', Resource: `arn:aws:iam::${ACCOUNT}:user/staff/*` },
            { Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' },
          ],
        },
      ],
    });
    emulator.authorization.setEnabled(true);
    return () => emulator.authorization.setEnabled(false);
  });

  it('answers false on AccessDenied for a user that is gone, and throws it for one that is there', async () => {
    await iamClient().send(new CreateUserCommand({ UserName: 'outsider' }));
    await iamClient().send(new CreateLoginProfileCommand({ UserName: 'outsider', Password: PASSWORD }));
    const gateway = new SdkLeaverGateway(iamClient({ accessKeyId: ROLE_KEY, secretAccessKey: 'x' }));

    const gone = await gateway.deleteUser('gone');
    const goneProfile = await gateway.deleteLoginProfile('gone');
    const refused = await rejection(gateway.deleteLoginProfile('outsider'));

    expect([gone, goneProfile]).toEqual([false, false]);
    expect(emulator.calls().find((c) => c.action === 'DeleteUser')?.outcomes).toEqual({ AccessDenied: 1 });
    expect(refused.name).toBe('AccessDenied');
  });
});
