import { randomBytes } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { randomId } from '../state.ts';
import { getUser } from './account.ts';
import { type Actions, LIMITS, now, page, required, userName } from './params.ts';

/** Access keys: Create (at most two per user), Delete, List. */

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** 40 characters of base64's alphabet, as AWS's secret access keys. */
const secretAccessKey = () => Array.from(randomBytes(40), (b) => SECRET_ALPHABET[b % 64]).join('');

export const accessKeyActions: Actions = {
  CreateAccessKey(p, s) {
    const user = getUser(s, userName(p));
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
  DeleteAccessKey(p, s) {
    const user = getUser(s, userName(p));
    const id = required(p, 'AccessKeyId');
    if (!user.keys.some((k) => k.id === id)) {
      throw new AwsError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
    }
    user.keys = user.keys.filter((k) => k.id !== id);
    return undefined;
  },
  ListAccessKeys(p, s) {
    const user = getUser(s, userName(p));
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
