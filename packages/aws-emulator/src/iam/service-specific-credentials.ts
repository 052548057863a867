import { randomBytes } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { type EmServiceSpecificCredential, type EmUser, type EmulatorState, randomId } from '../state.ts';
import { credentialStatus } from './access-keys.ts';
import { getUser } from './account.ts';
import { dependencyGone } from './dependencies.ts';
import { type Actions, checkLength, constraint, LIMITS, now, page, required, userName } from './params.ts';
import { targetUser } from './users.ts';

/**
 * Service-specific credentials: a user name and password for CodeCommit (Git over HTTPS) or Amazon
 * Keyspaces, or a long-term API key for Bedrock or CloudWatch Logs. Create (at most two per service and
 * user), List (metadata only), Update (Active or Inactive), Reset (a new password), Delete. The password
 * or secret is answered once, by Create and Reset, and never kept.
 */

/** The services IAM issues credentials for, and whether they are API keys (alias and secret). */
const SERVICES: Record<string, { apiKey: boolean }> = {
  'codecommit.amazonaws.com': { apiKey: false },
  'cassandra.amazonaws.com': { apiKey: false },
  'bedrock.amazonaws.com': { apiKey: true },
  'logs.amazonaws.com': { apiKey: true },
};

const DAY_MS = 86_400_000;

function serviceName(value: string): string {
  if (!(value in SERVICES)) {
    throw new AwsError(
      'NotSupportedService',
      `The specified service ${value} does not support service-specific credentials.`,
    );
  }
  return value;
}

function credentialId(p: URLSearchParams): string {
  const id = required(p, 'ServiceSpecificCredentialId');
  checkLength(id, 'serviceSpecificCredentialId', 20, 128);
  if (!/^[\w]+$/.test(id))
    throw constraint('serviceSpecificCredentialId', 'Member must satisfy regular expression pattern: [\\w]+');
  return id;
}

function findCredential(user: EmUser, id: string): EmServiceSpecificCredential {
  const found = user.serviceSpecificCredentials.find((c) => c.id === id);
  if (!found) {
    throw new AwsError('NoSuchEntity', `The Service Specific Credential with id ${id} cannot be found.`);
  }
  return found;
}

/** A new password or API key secret: shown once, never stored. */
const newSecret = (apiKey: boolean) =>
  apiKey ? `ABSK${randomBytes(48).toString('base64')}` : randomBytes(33).toString('base64');

const metadataXml = (user: EmUser, c: EmServiceSpecificCredential) => ({
  UserName: user.name,
  Status: c.status,
  ...(c.serviceUserName ? { ServiceUserName: c.serviceUserName } : {}),
  ...(c.alias ? { ServiceCredentialAlias: c.alias } : {}),
  CreateDate: c.created,
  ...(c.expires ? { ExpirationDate: c.expires } : {}),
  ServiceSpecificCredentialId: c.id,
  ServiceName: c.service,
});

function withSecret(user: EmUser, c: EmServiceSpecificCredential) {
  const secret = newSecret(!c.serviceUserName);
  return {
    ServiceSpecificCredential: {
      ...metadataXml(user, c),
      ...(c.serviceUserName ? { ServicePassword: secret } : { ServiceCredentialSecret: secret }),
    },
  };
}

function ageDays(p: URLSearchParams, apiKey: boolean): number | undefined {
  const raw = p.get('CredentialAgeDays');
  if (raw === null) return undefined;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > 36_600) {
    throw constraint('credentialAgeDays', 'Member must have value between 1 and 36600');
  }
  if (!apiKey) {
    throw new AwsError(
      'InvalidInput',
      'CredentialAgeDays is only valid for services that support long-term API keys.',
    );
  }
  return days;
}

function allCredentials(s: EmulatorState): [EmUser, EmServiceSpecificCredential][] {
  return Object.values(s.users).flatMap((u) =>
    u.serviceSpecificCredentials.map((c) => [u, c] as [EmUser, EmServiceSpecificCredential]),
  );
}

export const serviceSpecificCredentialActions: Actions = {
  CreateServiceSpecificCredential(p, s) {
    const user = getUser(s, userName(p));
    const service = serviceName(required(p, 'ServiceName'));
    const apiKey = SERVICES[service]?.apiKey ?? false;
    const days = ageDays(p, apiKey);
    const sameService = user.serviceSpecificCredentials.filter((c) => c.service === service);
    if (sameService.length >= LIMITS.serviceSpecificCredentialsPerUserPerService) {
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: ${LIMITS.serviceSpecificCredentialsPerUserPerService}`,
      );
    }
    const created = now();
    const credential: EmServiceSpecificCredential = {
      id: randomId('ACCA'),
      service,
      ...(apiKey
        ? { alias: `${user.name}+${created.slice(0, 10).replaceAll('-', '')}` }
        : { serviceUserName: `${user.name}-at-${s.accountId}` }),
      status: 'Active',
      created,
      ...(days ? { expires: new Date(Date.parse(created) + days * DAY_MS).toISOString() } : {}),
    };
    user.serviceSpecificCredentials.push(credential);
    return withSecret(user, credential);
  },
  ListServiceSpecificCredentials(p, s, ctx) {
    const service = p.get('ServiceName');
    if (service !== null) serviceName(service);
    const all = p.get('AllUsers') === 'true';
    if (all && p.get('UserName') !== null) {
      throw new AwsError('InvalidInput', 'AllUsers cannot be specified together with UserName.');
    }
    const pairs = all
      ? allCredentials(s)
      : (() => {
          const user = targetUser(p, s, ctx);
          return user.serviceSpecificCredentials.map(
            (c) => [user, c] as [EmUser, EmServiceSpecificCredential],
          );
        })();
    const matching = pairs.filter(([, c]) => service === null || c.service === service);
    const { items, ...rest } = page(matching, p);
    return { ServiceSpecificCredentials: items.map(([u, c]) => metadataXml(u, c)), ...rest };
  },
  UpdateServiceSpecificCredential(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const id = credentialId(p);
    const status = credentialStatus(p);
    findCredential(user, id).status = status;
    return undefined;
  },
  ResetServiceSpecificCredential(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const credential = findCredential(user, credentialId(p));
    return withSecret(user, credential);
  },
  DeleteServiceSpecificCredential(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const id = credentialId(p);
    findCredential(user, id);
    user.serviceSpecificCredentials = user.serviceSpecificCredentials.filter((c) => c.id !== id);
    dependencyGone(user, 'serviceSpecificCredentials', ctx);
    return undefined;
  },
};
