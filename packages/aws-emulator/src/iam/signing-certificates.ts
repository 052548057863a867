import { X509Certificate } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { type EmSigningCertificate, type EmUser, type EmulatorState, randomId } from '../state.ts';
import { credentialStatus } from './access-keys.ts';
import { dependencyGone } from './dependencies.ts';
import { type Actions, checkLength, LIMITS, now, page, required } from './params.ts';
import { targetUser } from './users.ts';

/**
 * X.509 signing certificates: Upload, Update (Active or Inactive), Delete, List. Without `UserName`
 * each acts on the caller's own certificates. A certificate must parse as PEM and not be expired, and
 * belongs to one user of the account only.
 */

function parseCertificate(body: string): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(body);
  } catch {
    throw new AwsError(
      'MalformedCertificate',
      'Unable to parse certificate. Please ensure the certificate is in PEM format.',
    );
  }
  if (Date.parse(certificate.validTo) <= Date.now()) {
    throw new AwsError('MalformedCertificate', `Certificate has expired (not after ${certificate.validTo}).`);
  }
  return certificate;
}

const thumbprint = (body: string) => new X509Certificate(body).fingerprint256;

function certificateId(p: URLSearchParams): string {
  const id = required(p, 'CertificateId');
  checkLength(id, 'certificateId', 24, 128);
  if (!/^[\w]+$/.test(id)) {
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value at 'certificateId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+",
    );
  }
  return id;
}

function findCertificate(user: EmUser, id: string): EmSigningCertificate {
  const found = user.signingCertificates.find((c) => c.id === id);
  if (!found) throw new AwsError('NoSuchEntity', `The Certificate with id ${id} cannot be found.`);
  return found;
}

function inAccount(s: EmulatorState, print: string): boolean {
  return Object.values(s.users).some((u) => u.signingCertificates.some((c) => thumbprint(c.body) === print));
}

const certificateXml = (user: EmUser, c: EmSigningCertificate) => ({
  UserName: user.name,
  CertificateId: c.id,
  CertificateBody: c.body,
  Status: c.status,
  UploadDate: c.uploaded,
});

export const signingCertificateActions: Actions = {
  UploadSigningCertificate(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const body = required(p, 'CertificateBody');
    checkLength(body, 'certificateBody', 1, 16_384);
    const certificate = parseCertificate(body);
    if (inAccount(s, certificate.fingerprint256)) {
      throw new AwsError(
        'DuplicateCertificate',
        'The request was rejected because the same certificate is associated with an IAM user in the account.',
      );
    }
    if (user.signingCertificates.length >= LIMITS.signingCertificatesPerUser) {
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for SigningCertificatesPerUser: ${LIMITS.signingCertificatesPerUser}`,
      );
    }
    const stored: EmSigningCertificate = { id: randomId('', 32), body, status: 'Active', uploaded: now() };
    user.signingCertificates.push(stored);
    return { Certificate: certificateXml(user, stored) };
  },
  UpdateSigningCertificate(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const id = certificateId(p);
    const status = credentialStatus(p);
    findCertificate(user, id).status = status;
    return undefined;
  },
  DeleteSigningCertificate(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const id = certificateId(p);
    findCertificate(user, id);
    user.signingCertificates = user.signingCertificates.filter((c) => c.id !== id);
    dependencyGone(user, 'signingCertificates', ctx);
    return undefined;
  },
  ListSigningCertificates(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const { items, ...rest } = page(user.signingCertificates, p);
    return { Certificates: items.map((c) => certificateXml(user, c)), ...rest };
  },
};
