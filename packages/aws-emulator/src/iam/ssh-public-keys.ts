import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { type EmSshPublicKey, type EmUser, randomId } from '../state.ts';
import { credentialStatus } from './access-keys.ts';
import { getUser } from './account.ts';
import { dependencyGone } from './dependencies.ts';
import { type Actions, checkLength, LIMITS, now, page, required, userName } from './params.ts';
import { targetUser } from './users.ts';

/**
 * SSH public keys (CodeCommit's): Upload, Get (SSH or PEM encoding), Update (Active or Inactive),
 * Delete, List. IAM takes an RSA key of at least 2048 bits, in OpenSSH `ssh-rsa` form or PEM; the
 * fingerprint is the MD5 of the OpenSSH key blob, as `ssh-keygen -E md5` prints it.
 */

const MIN_RSA_BITS = 2048;

/** `string` and `mpint` of RFC 4251: a big-endian length, then the bytes. */
function sshField(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function readFields(blob: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) throw new Error('truncated');
    const length = blob.readUInt32BE(at);
    if (at + 4 + length > blob.length) throw new Error('truncated');
    fields.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}

/** An mpint is signed: a positive number whose top bit is set gets a leading zero byte. */
const mpint = (unsigned: Buffer) =>
  sshField(
    unsigned[0] !== undefined && unsigned[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), unsigned]) : unsigned,
  );

const stripZeros = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

function rsaBlob(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([
    sshField(Buffer.from('ssh-rsa')),
    mpint(Buffer.from(jwk.e ?? '', 'base64url')),
    mpint(Buffer.from(jwk.n ?? '', 'base64url')),
  ]);
}

const invalid = () =>
  new AwsError(
    'InvalidPublicKey',
    'The request was rejected because the public key is malformed or otherwise invalid.',
  );
const unrecognized = () =>
  new AwsError(
    'UnrecognizedPublicKeyEncoding',
    'The request was rejected because the public key encoding format is unsupported or unrecognized.',
  );

/** The key as IAM keeps it: an RSA key object, whatever the encoding it came in. */
function parsePublicKey(body: string): KeyObject {
  const text = body.trim();
  let key: KeyObject;
  if (text.startsWith('-----BEGIN')) {
    try {
      key = createPublicKey({ key: text, format: 'pem' });
    } catch {
      throw invalid();
    }
  } else {
    const [type, data] = text.split(/\s+/);
    if (type !== 'ssh-rsa') throw unrecognized();
    if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw invalid();
    try {
      const [name, e, n, ...rest] = readFields(Buffer.from(data, 'base64'));
      if (name?.toString() !== 'ssh-rsa' || !e || !n || rest.length) throw invalid();
      key = createPublicKey({
        key: { kty: 'RSA', e: stripZeros(e).toString('base64url'), n: stripZeros(n).toString('base64url') },
        format: 'jwk',
      });
    } catch {
      throw invalid();
    }
  }
  if (key.asymmetricKeyType !== 'rsa') throw unrecognized();
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) throw invalid();
  return key;
}

const opensshText = (key: KeyObject) => `ssh-rsa ${rsaBlob(key).toString('base64')}`;

function fingerprint(key: KeyObject): string {
  const md5 = createHash('md5').update(rsaBlob(key)).digest('hex');
  return md5.match(/../g)?.join(':') ?? md5;
}

function keyId(p: URLSearchParams): string {
  const id = required(p, 'SSHPublicKeyId');
  checkLength(id, 'sSHPublicKeyId', 20, 128);
  if (!/^[\w]+$/.test(id)) {
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value at 'sSHPublicKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+",
    );
  }
  return id;
}

function findKey(user: EmUser, id: string): EmSshPublicKey {
  const found = user.sshPublicKeys.find((k) => k.id === id);
  if (!found) throw new AwsError('NoSuchEntity', `The Public Key with id ${id} cannot be found.`);
  return found;
}

function encoding(p: URLSearchParams): 'SSH' | 'PEM' {
  const value = required(p, 'Encoding');
  if (value !== 'SSH' && value !== 'PEM') {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${value}' at 'encoding' failed to satisfy constraint: Member must satisfy enum value set: [SSH, PEM]`,
    );
  }
  return value;
}

const keyXml = (user: EmUser, k: EmSshPublicKey, body: string) => ({
  UserName: user.name,
  SSHPublicKeyId: k.id,
  Fingerprint: k.fingerprint,
  SSHPublicKeyBody: body,
  Status: k.status,
  UploadDate: k.uploaded,
});

export const sshPublicKeyActions: Actions = {
  UploadSSHPublicKey(p, s) {
    const user = getUser(s, userName(p));
    const body = required(p, 'SSHPublicKeyBody');
    checkLength(body, 'sSHPublicKeyBody', 1, 16_384);
    const key = parsePublicKey(body);
    const print = fingerprint(key);
    if (user.sshPublicKeys.some((k) => k.fingerprint === print)) {
      throw new AwsError(
        'DuplicateSSHPublicKey',
        'The request was rejected because the SSH public key is already associated with the specified IAM user.',
      );
    }
    if (user.sshPublicKeys.length >= LIMITS.sshPublicKeysPerUser) {
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for SSHPublicKeysPerUser: ${LIMITS.sshPublicKeysPerUser}`,
      );
    }
    const stored: EmSshPublicKey = {
      id: randomId('APKA', 20),
      body: opensshText(key),
      fingerprint: print,
      status: 'Active',
      uploaded: now(),
    };
    user.sshPublicKeys.push(stored);
    return { SSHPublicKey: keyXml(user, stored, stored.body) };
  },
  GetSSHPublicKey(p, s) {
    const user = getUser(s, userName(p));
    const id = keyId(p);
    const as = encoding(p);
    const found = findKey(user, id);
    const body =
      as === 'SSH'
        ? found.body
        : (parsePublicKey(found.body).export({ format: 'pem', type: 'spki' }) as string);
    return { SSHPublicKey: keyXml(user, found, body) };
  },
  UpdateSSHPublicKey(p, s) {
    const user = getUser(s, userName(p));
    const id = keyId(p);
    const status = credentialStatus(p);
    findKey(user, id).status = status;
    return undefined;
  },
  DeleteSSHPublicKey(p, s, ctx) {
    const user = getUser(s, userName(p));
    const id = keyId(p);
    findKey(user, id);
    user.sshPublicKeys = user.sshPublicKeys.filter((k) => k.id !== id);
    dependencyGone(user, 'sshPublicKeys', ctx);
    return undefined;
  },
  ListSSHPublicKeys(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const { items, ...rest } = page(user.sshPublicKeys, p);
    return {
      SSHPublicKeys: items.map((k) => ({
        UserName: user.name,
        SSHPublicKeyId: k.id,
        Status: k.status,
        UploadDate: k.uploaded,
      })),
      ...rest,
    };
  },
};
