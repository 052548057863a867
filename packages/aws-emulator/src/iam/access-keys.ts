import { randomBytes } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { type EmAccessKey, type EmUser, type EmulatorState, randomId } from '../state.ts';
import { arn } from './account.ts';
import { dependencyGone } from './dependencies.ts';
import { type Actions, LIMITS, now, page, required } from './params.ts';
import { callerOf, targetUser } from './users.ts';

/**
 * Access keys: Create (at most two per user), Update (Active or Inactive), Delete, List, and when each
 * was last used. Without `UserName`, each acts on the caller's own keys, as IAM does.
 */

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** 40 characters of base64's alphabet, as AWS's secret access keys. */
const secretAccessKey = () => Array.from(randomBytes(40), (b) => SECRET_ALPHABET[b % 64]).join('');

function keyOf(user: EmUser, id: string): EmAccessKey {
  const found = user.keys.find((k) => k.id === id);
  if (!found) throw new AwsError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
  return found;
}

/** Active or Inactive: the status of access keys, signing certificates, SSH keys and service credentials. */
export function credentialStatus(p: URLSearchParams): 'Active' | 'Inactive' {
  const status = required(p, 'Status');
  if (status !== 'Active' && status !== 'Inactive') {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
    );
  }
  return status;
}

/**
 * Notes a call signed with one of the account's active long-term keys, as IAM keeps for
 * GetAccessKeyLastUsed (what service, which region, when).
 */
export function noteKeyUse(s: EmulatorState, accessKeyId: string, service: string, region: string): void {
  for (const user of Object.values(s.users)) {
    const found = user.keys.find((k) => k.id === accessKeyId);
    if (found) {
      if (found.status === 'Active') found.lastUsed = { date: now(), service, region };
      return;
    }
  }
}

export const accessKeyActions: Actions = {
  CreateAccessKey(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    if (user.keys.length >= LIMITS.accessKeysPerUser) {
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for AccessKeysPerUser: ${LIMITS.accessKeysPerUser}`,
      );
    }
    const accessKey = {
      id: randomId('AKIA', 20),
      secret: secretAccessKey(),
      status: 'Active' as const,
      created: now(),
    };
    user.keys.push(accessKey);
    return {
      AccessKey: {
        UserName: user.name,
        AccessKeyId: accessKey.id,
        Status: accessKey.status,
        SecretAccessKey: accessKey.secret,
        CreateDate: accessKey.created,
      },
    };
  },
  UpdateAccessKey(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const id = required(p, 'AccessKeyId');
    const status = credentialStatus(p);
    keyOf(user, id).status = status;
    return undefined;
  },
  DeleteAccessKey(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const id = required(p, 'AccessKeyId');
    keyOf(user, id);
    user.keys = user.keys.filter((k) => k.id !== id);
    dependencyGone(user, 'accessKeys', ctx);
    return undefined;
  },
  GetAccessKeyLastUsed(p, s, ctx) {
    const id = required(p, 'AccessKeyId');
    const owner = Object.values(s.users).find((u) => u.keys.some((k) => k.id === id));
    const found = owner?.keys.find((k) => k.id === id);
    if (!owner || !found) {
      // IAM does not say whether a key exists in another account: an unknown key is refused.
      const caller = callerOf(s, ctx.accessKeyId);
      const who = caller ? arn(s, 'user', caller.path, caller.name) : `arn:aws:iam::${s.accountId}:root`;
      throw new AwsError(
        'AccessDenied',
        `User: ${who} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key ${id}`,
      );
    }
    return {
      UserName: owner.name,
      AccessKeyLastUsed: found.lastUsed
        ? {
            LastUsedDate: found.lastUsed.date,
            ServiceName: found.lastUsed.service,
            Region: found.lastUsed.region,
          }
        : { ServiceName: 'N/A', Region: 'N/A' },
    };
  },
  ListAccessKeys(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const { items, ...rest } = page(user.keys, p);
    return {
      AccessKeyMetadata: items.map((k) => ({
        UserName: user.name,
        AccessKeyId: k.id,
        Status: k.status,
        CreateDate: k.created,
      })),
      ...rest,
    };
  },
};
