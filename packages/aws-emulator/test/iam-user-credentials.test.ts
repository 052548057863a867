import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  GetAccessKeyLastUsedCommand,
  GetSSHPublicKeyCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ResetServiceSpecificCredentialCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
  UpdateSigningCertificateCommand,
  UpdateSSHPublicKeyCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index.ts';
import { CERTIFICATE_1, CERTIFICATE_2, CERTIFICATE_3, EXPIRED } from './certificates.ts';
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

/** An RSA public key in OpenSSH form, built here from its JWK (RFC 4253: "ssh-rsa", e, n). */
function opensshRsa(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const field = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const mpint = (b64: string | undefined) => {
    const b = Buffer.from(b64 ?? '', 'base64url');
    return field((b[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
  };
  const blob = Buffer.concat([field(Buffer.from('ssh-rsa')), mpint(jwk.e), mpint(jwk.n)]);
  return `ssh-rsa ${blob.toString('base64')} alice@laptop`;
}

const rsaKey = (bits = 2048) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey;

/** `ssh-keygen -l -E md5`'s fingerprint: the MD5 of the base64-decoded blob, colon-separated hex. */
const md5Fingerprint = (openssh: string) =>
  (
    createHash('md5')
      .update(Buffer.from(openssh.split(' ')[1] ?? '', 'base64'))
      .digest('hex')
      .match(/../g) ?? []
  ).join(':');

describe('SSH public keys', () => {
  it('uploads a key (APKA id, MD5 fingerprint, Active), lists it and reads it in SSH and PEM encodings', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const key = rsaKey();
    const body = opensshRsa(key);

    // Act
    const uploaded = await iam.send(
      new UploadSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyBody: body }),
    );
    const id = uploaded.SSHPublicKey?.SSHPublicKeyId ?? '';
    const listed = await iam.send(new ListSSHPublicKeysCommand({ UserName: 'alice' }));
    const ssh = await iam.send(
      new GetSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: id, Encoding: 'SSH' }),
    );
    const pem = await iam.send(
      new GetSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: id, Encoding: 'PEM' }),
    );

    // Assess
    expect(uploaded.SSHPublicKey).toMatchObject({
      UserName: 'alice',
      Status: 'Active',
      Fingerprint: md5Fingerprint(body),
    });
    expect(id).toMatch(/^APKA[A-Z2-7]{16}$/);
    expect(listed.SSHPublicKeys).toEqual([
      { UserName: 'alice', SSHPublicKeyId: id, Status: 'Active', UploadDate: expect.any(Date) },
    ]);
    expect(ssh.SSHPublicKey?.SSHPublicKeyBody).toBe(body.split(' ').slice(0, 2).join(' '));
    expect(pem.SSHPublicKey?.SSHPublicKeyBody).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(createPublicKey(pem.SSHPublicKey?.SSHPublicKeyBody ?? '').export({ format: 'jwk' })).toEqual(
      key.export({ format: 'jwk' }),
    );
  });

  it('accepts a PEM key, and refuses a duplicate, a sixth key, a short or malformed RSA key and a non-RSA key', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const upload = (body: string) =>
      iam.send(new UploadSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyBody: body }));
    const first = rsaKey();
    const pem = first.export({ format: 'pem', type: 'spki' }) as string;

    // Act
    const fromPem = await upload(pem);
    const duplicate = await awsError(upload(opensshRsa(first)));
    const short = await awsError(upload(opensshRsa(rsaKey(1024))));
    const malformed = await awsError(upload('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAB alice'));
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({
      format: 'pem',
      type: 'spki',
    }) as string;
    const notRsa = await awsError(upload(ed25519));
    const sshEd25519 = await awsError(
      upload('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b'),
    );
    for (let i = 0; i < 4; i++) await upload(opensshRsa(rsaKey()));
    const sixth = await awsError(upload(opensshRsa(rsaKey())));

    // Assess
    expect(fromPem.SSHPublicKey?.SSHPublicKeyBody).toBe(opensshRsa(first).split(' ').slice(0, 2).join(' '));
    expect(duplicate).toMatchObject({ code: 'DuplicateSSHPublicKey', status: 400 });
    expect(short).toMatchObject({ code: 'InvalidPublicKey', status: 400 });
    expect(malformed.code).toBe('InvalidPublicKey');
    expect(notRsa).toMatchObject({ code: 'UnrecognizedPublicKeyEncoding', status: 400 });
    expect(sshEd25519.code).toBe('UnrecognizedPublicKeyEncoding');
    expect(sixth).toMatchObject({ code: 'LimitExceeded', status: 409 });
    expect((await iam.send(new ListSSHPublicKeysCommand({ UserName: 'alice' }))).SSHPublicKeys).toHaveLength(
      5,
    );
  });

  it('makes a key Inactive, deletes it, then answers NoSuchEntity for it', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const uploaded = await iam.send(
      new UploadSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyBody: opensshRsa(rsaKey()) }),
    );
    const id = uploaded.SSHPublicKey?.SSHPublicKeyId ?? '';

    // Act
    await iam.send(
      new UpdateSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: id, Status: 'Inactive' }),
    );
    const inactive = await iam.send(new ListSSHPublicKeysCommand({ UserName: 'alice' }));
    await iam.send(new DeleteSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: id }));
    const again = await awsError(
      iam.send(new DeleteSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: id })),
    );
    const get = await awsError(
      iam.send(new GetSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: id, Encoding: 'SSH' })),
    );
    const update = await awsError(
      iam.send(new UpdateSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: id, Status: 'Active' })),
    );

    // Assess
    expect(inactive.SSHPublicKeys?.[0]?.Status).toBe('Inactive');
    expect(again).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(again.message).toContain(id);
    expect(get.code).toBe('NoSuchEntity');
    expect(update.code).toBe('NoSuchEntity');
    expect((await iam.send(new ListSSHPublicKeysCommand({ UserName: 'alice' }))).SSHPublicKeys).toEqual([]);
  });

  it("lists the caller's own keys when UserName is omitted, and refuses an unknown user", async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    const { own } = await userWithKey(emulator, iam, 'alice');
    await iam.send(
      new UploadSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyBody: opensshRsa(rsaKey()) }),
    );

    // Act
    const mine = await own.iam.send(new ListSSHPublicKeysCommand({}));
    const unknown = await awsError(iam.send(new ListSSHPublicKeysCommand({ UserName: 'carol' })));

    // Assess
    expect(mine.SSHPublicKeys).toHaveLength(1);
    expect(unknown).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });
});

describe('signing certificates', () => {
  it('uploads a certificate (Active), lists it with its body, makes it Inactive and deletes it', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    const uploaded = await iam.send(
      new UploadSigningCertificateCommand({ UserName: 'alice', CertificateBody: CERTIFICATE_1 }),
    );
    const id = uploaded.Certificate?.CertificateId ?? '';
    await iam.send(
      new UpdateSigningCertificateCommand({ UserName: 'alice', CertificateId: id, Status: 'Inactive' }),
    );
    const listed = await iam.send(new ListSigningCertificatesCommand({ UserName: 'alice' }));
    await iam.send(new DeleteSigningCertificateCommand({ UserName: 'alice', CertificateId: id }));
    const again = await awsError(
      iam.send(new DeleteSigningCertificateCommand({ UserName: 'alice', CertificateId: id })),
    );
    const update = await awsError(
      iam.send(
        new UpdateSigningCertificateCommand({ UserName: 'alice', CertificateId: id, Status: 'Active' }),
      ),
    );

    // Assess
    expect(uploaded.Certificate).toMatchObject({
      UserName: 'alice',
      Status: 'Active',
      CertificateBody: CERTIFICATE_1,
    });
    expect(id).toMatch(/^\w{24,128}$/);
    expect(listed.Certificates).toEqual([
      {
        UserName: 'alice',
        CertificateId: id,
        CertificateBody: CERTIFICATE_1,
        Status: 'Inactive',
        UploadDate: expect.any(Date),
      },
    ]);
    expect(again).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(again.message).toContain(id);
    expect(update.code).toBe('NoSuchEntity');
    expect((await iam.send(new ListSigningCertificatesCommand({ UserName: 'alice' }))).Certificates).toEqual(
      [],
    );
  });

  it('refuses a body that is not a certificate, an expired one, one another user has, and a third one', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const upload = (user: string, body: string) =>
      iam.send(new UploadSigningCertificateCommand({ UserName: user, CertificateBody: body }));

    // Act
    const malformed = await awsError(
      upload('alice', '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----'),
    );
    const expired = await awsError(upload('alice', EXPIRED));
    await upload('bob', CERTIFICATE_1);
    const duplicate = await awsError(upload('alice', CERTIFICATE_1));
    await upload('alice', CERTIFICATE_2);
    await upload('alice', CERTIFICATE_3);
    const third = await awsError(upload('bob', CERTIFICATE_2));
    const unknownUser = await awsError(upload('carol', CERTIFICATE_3));

    // Assess
    expect(malformed).toMatchObject({ code: 'MalformedCertificate', status: 400 });
    expect(expired.code).toBe('MalformedCertificate');
    expect(expired.message).toContain('expired');
    expect(duplicate).toMatchObject({ code: 'DuplicateCertificate', status: 409 });
    expect(third.code).toBe('DuplicateCertificate');
    expect(unknownUser).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it('stops at two certificates per user (LimitExceeded 409)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const upload = (body: string) =>
      iam.send(new UploadSigningCertificateCommand({ UserName: 'alice', CertificateBody: body }));
    await upload(CERTIFICATE_1);
    await upload(CERTIFICATE_2);

    // Act
    const third = await awsError(upload(CERTIFICATE_3));

    // Assess
    expect(third).toMatchObject({ code: 'LimitExceeded', status: 409 });
    expect(third.message).toBe('Cannot exceed quota for SigningCertificatesPerUser: 2');
  });

  it("acts on the caller's own certificates when UserName is omitted", async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    const { own } = await userWithKey(emulator, iam, 'alice');

    // Act
    const uploaded = await own.iam.send(
      new UploadSigningCertificateCommand({ CertificateBody: CERTIFICATE_1 }),
    );
    const mine = await own.iam.send(new ListSigningCertificatesCommand({}));
    await own.iam.send(
      new DeleteSigningCertificateCommand({ CertificateId: uploaded.Certificate?.CertificateId }),
    );

    // Assess
    expect(uploaded.Certificate?.UserName).toBe('alice');
    expect(mine.Certificates).toHaveLength(1);
    expect(emulator.snapshot().users.alice?.signingCertificates).toEqual([]);
  });
});

describe('service-specific credentials', () => {
  it('creates a CodeCommit credential (<user>-at-<account>, a password shown once), lists it without the password', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    const created = await iam.send(
      new CreateServiceSpecificCredentialCommand({
        UserName: 'alice',
        ServiceName: 'codecommit.amazonaws.com',
      }),
    );
    const listed = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'alice' }));

    // Assess
    const credential = created.ServiceSpecificCredential;
    expect(credential).toMatchObject({
      UserName: 'alice',
      ServiceName: 'codecommit.amazonaws.com',
      ServiceUserName: 'alice-at-000000000000',
      Status: 'Active',
    });
    expect(credential?.ServiceSpecificCredentialId).toMatch(/^ACCA\w{17}$/);
    expect(credential?.ServicePassword?.length).toBeGreaterThanOrEqual(40);
    expect(listed.ServiceSpecificCredentials).toEqual([
      {
        UserName: 'alice',
        Status: 'Active',
        ServiceUserName: 'alice-at-000000000000',
        CreateDate: expect.any(Date),
        ServiceSpecificCredentialId: credential?.ServiceSpecificCredentialId,
        ServiceName: 'codecommit.amazonaws.com',
      },
    ]);
    // The password is answered once and kept nowhere (not in the account's state either).
    expect(JSON.stringify(emulator.snapshot())).not.toContain(credential?.ServicePassword);
  });

  it('resets the password to a new one, makes the credential Inactive, and deletes it', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const created = await iam.send(
      new CreateServiceSpecificCredentialCommand({
        UserName: 'alice',
        ServiceName: 'cassandra.amazonaws.com',
      }),
    );
    const id = created.ServiceSpecificCredential?.ServiceSpecificCredentialId ?? '';

    // Act
    const reset = await iam.send(
      new ResetServiceSpecificCredentialCommand({ UserName: 'alice', ServiceSpecificCredentialId: id }),
    );
    await iam.send(
      new UpdateServiceSpecificCredentialCommand({
        UserName: 'alice',
        ServiceSpecificCredentialId: id,
        Status: 'Inactive',
      }),
    );
    const inactive = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'alice' }));
    await iam.send(
      new DeleteServiceSpecificCredentialCommand({ UserName: 'alice', ServiceSpecificCredentialId: id }),
    );
    const again = await awsError(
      iam.send(
        new DeleteServiceSpecificCredentialCommand({ UserName: 'alice', ServiceSpecificCredentialId: id }),
      ),
    );
    const resetGone = await awsError(
      iam.send(
        new ResetServiceSpecificCredentialCommand({ UserName: 'alice', ServiceSpecificCredentialId: id }),
      ),
    );

    // Assess
    expect(reset.ServiceSpecificCredential?.ServiceSpecificCredentialId).toBe(id);
    expect(reset.ServiceSpecificCredential?.ServicePassword).toBeTruthy();
    expect(reset.ServiceSpecificCredential?.ServicePassword).not.toBe(
      created.ServiceSpecificCredential?.ServicePassword,
    );
    expect(inactive.ServiceSpecificCredentials?.[0]?.Status).toBe('Inactive');
    expect(again).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(again.message).toContain(id);
    expect(resetGone.code).toBe('NoSuchEntity');
  });

  it('creates a Bedrock API key (alias and secret, with an expiry) and refuses an unsupported service', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    const key = await iam.send(
      new CreateServiceSpecificCredentialCommand({
        UserName: 'alice',
        ServiceName: 'bedrock.amazonaws.com',
        CredentialAgeDays: 30,
      }),
    );
    const s3 = await awsError(
      iam.send(
        new CreateServiceSpecificCredentialCommand({ UserName: 'alice', ServiceName: 's3.amazonaws.com' }),
      ),
    );
    const listS3 = await awsError(
      iam.send(
        new ListServiceSpecificCredentialsCommand({ UserName: 'alice', ServiceName: 's3.amazonaws.com' }),
      ),
    );
    const agedPassword = await awsError(
      iam.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: 'alice',
          ServiceName: 'codecommit.amazonaws.com',
          CredentialAgeDays: 30,
        }),
      ),
    );

    // Assess
    const credential = key.ServiceSpecificCredential;
    expect(credential?.ServiceCredentialAlias).toContain('alice');
    expect(credential?.ServiceCredentialSecret).toBeTruthy();
    expect(credential?.ServicePassword).toBeUndefined();
    const days =
      ((credential?.ExpirationDate?.getTime() ?? 0) - (credential?.CreateDate?.getTime() ?? 0)) / 86_400_000;
    expect(days).toBe(30);
    expect(s3).toMatchObject({ code: 'NotSupportedService', status: 404 });
    expect(listS3.code).toBe('NotSupportedService');
    expect(agedPassword).toMatchObject({ code: 'InvalidInput', status: 400 });
  });

  it('stops at two credentials per service and user (LimitExceeded 409), and filters the list by service', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const create = (user: string, service: string) =>
      iam.send(new CreateServiceSpecificCredentialCommand({ UserName: user, ServiceName: service }));
    await create('alice', 'codecommit.amazonaws.com');
    await create('alice', 'codecommit.amazonaws.com');

    // Act
    const third = await awsError(create('alice', 'codecommit.amazonaws.com'));
    await create('alice', 'cassandra.amazonaws.com');
    await create('bob', 'cassandra.amazonaws.com');
    const codecommit = await iam.send(
      new ListServiceSpecificCredentialsCommand({
        UserName: 'alice',
        ServiceName: 'codecommit.amazonaws.com',
      }),
    );
    const everyone = await iam.send(
      new ListServiceSpecificCredentialsCommand({ AllUsers: true, ServiceName: 'cassandra.amazonaws.com' }),
    );
    const unknownUser = await awsError(
      iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'carol' })),
    );

    // Assess
    expect(third).toMatchObject({ code: 'LimitExceeded', status: 409 });
    expect(codecommit.ServiceSpecificCredentials).toHaveLength(2);
    expect(everyone.ServiceSpecificCredentials?.map((c) => c.UserName).sort()).toEqual(['alice', 'bob']);
    expect(unknownUser).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it("acts on the caller's own credentials when UserName is omitted", async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    const { own } = await userWithKey(emulator, iam, 'alice');
    const created = await iam.send(
      new CreateServiceSpecificCredentialCommand({
        UserName: 'alice',
        ServiceName: 'codecommit.amazonaws.com',
      }),
    );
    const id = created.ServiceSpecificCredential?.ServiceSpecificCredentialId ?? '';

    // Act
    const mine = await own.iam.send(new ListServiceSpecificCredentialsCommand({}));
    await own.iam.send(new DeleteServiceSpecificCredentialCommand({ ServiceSpecificCredentialId: id }));

    // Assess
    expect(mine.ServiceSpecificCredentials?.map((c) => c.ServiceSpecificCredentialId)).toEqual([id]);
    expect(emulator.snapshot().users.alice?.serviceSpecificCredentials).toEqual([]);
  });
});
