import type * as z from 'zod/mini';
import {
  ConflictError,
  RequestNotAllowedError,
  SecretAlreadyExistsError,
  UserAlreadyExistsError,
} from '../errors.ts';
import { sealFor } from '../handover/credentials.ts';
import { TAG_ACCESS_KEY_ID } from '../request.ts';
import { call } from './calls.ts';
import { isOurs, ourUser, ownershipTags } from './ownership.ts';
import { createAccessKeyResultSchema } from './results.ts';
import { defineStep, type StepInput, type TaskDeps } from './types.ts';

export { createAccessKeyResultSchema };

export type CreateAccessKeyResult = z.infer<typeof createAccessKeyResultSchema>;

/** Readable by the onboarded user alone; nobody else, and not through the execution history. */
export function userOnlyPolicy(userArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OnlyTheOnboardedUserReadsTheKey',
        Effect: 'Deny',
        Principal: '*',
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:PrincipalArn': userArn } },
      },
      {
        Sid: 'TheOnboardedUserReadsTheKey',
        Effect: 'Allow',
        Principal: { AWS: userArn },
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: '*',
      },
    ],
  });
}

/**
 * The key goes out encrypted to the member's own key, sealed inside this task right after IAM's answer.
 * Any key already on our own new user was made by an attempt whose answer was lost: nobody holds its
 * secret, so it goes (and would otherwise use up the two keys a user may have).
 */
async function toRecipient(
  input: StepInput,
  deps: TaskDeps,
  userName: string,
): Promise<CreateAccessKeyResult> {
  const recipient = input.request.contact?.recipient;
  if (!recipient) {
    throw new RequestNotAllowedError(
      `request ${input.request.requestId}: the access key is handed over encrypted to contact.recipient, and there is none`,
    );
  }
  for (const key of await deps.iam.listAccessKeys(userName))
    await deps.iam.deleteAccessKey(userName, key.accessKeyId);
  const key = await deps.iam.createAccessKey(userName);
  const ciphertext = await sealFor(recipient, {
    kind: 'access-key',
    userName,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
  });
  // The SDK may itself have retried a CreateAccessKey whose answer was lost: that other key is nobody's.
  for (const other of await deps.iam.listAccessKeys(userName)) {
    if (other.accessKeyId !== key.accessKeyId) await deps.iam.deleteAccessKey(userName, other.accessKeyId);
  }
  return { accessKeyId: key.accessKeyId, ciphertext, skipped: false };
}

export const createAccessKey = defineStep({
  name: 'CreateAccessKey',
  resultSchema: createAccessKeyResultSchema,
  calls: [
    call('iam:GetUser'),
    call('secretsmanager:DescribeSecret'),
    call('iam:ListAccessKeys'),
    call('iam:CreateAccessKey'),
    // CreateSecret with tags is also authorized as TagResource.
    call('secretsmanager:CreateSecret', { alsoAuthorizes: ['secretsmanager:TagResource'] }),
    call('secretsmanager:PutResourcePolicy'),
    // A key whose answer was lost has no stored secret: nobody can use it, so it goes.
    call('iam:DeleteAccessKey', { when: { afterLost: 'iam:CreateAccessKey' } }),
  ],
  undoCalls: [
    call('secretsmanager:DescribeSecret'),
    call('secretsmanager:DeleteSecret'),
    call('iam:GetUser'),
    call('iam:ListAccessKeys'),
    call('iam:DeleteAccessKey'),
  ],

  async run(input, deps) {
    const { iam, secrets } = deps;
    if (!input.plan.accessKey.create) return { skipped: true };
    const secretName = input.plan.accessKey.secretName;
    const found = await ourUser(input, deps);
    if (!found.ours) throw new UserAlreadyExistsError(`user ${input.plan.user.name} is not this execution's`);
    const userName = found.user.name;
    if (input.plan.accessKey.delivery === 'recipient') return toRecipient(input, deps, userName);

    const stored = await secrets.describeSecret(secretName);
    if (stored && !isOurs(stored.tags, input.execution)) {
      throw new SecretAlreadyExistsError(
        `secret "${secretName}" was created by someone else while this onboarding ran`,
      );
    }
    const keys = await iam.listAccessKeys(userName);
    const storedKeyId = stored?.tags[TAG_ACCESS_KEY_ID];
    if (stored && storedKeyId && keys.some((k) => k.accessKeyId === storedKeyId)) {
      // A retry after a lost answer: the key and its secret are both in place. Any other key on our own
      // new user has no stored secret (an earlier attempt's answer was lost), so nobody can use it.
      await secrets.putResourcePolicy(stored.arn, userOnlyPolicy(found.user.arn));
      for (const other of keys) {
        if (other.accessKeyId !== storedKeyId) await iam.deleteAccessKey(userName, other.accessKeyId);
      }
      return { accessKeyId: storedKeyId, secretArn: stored.arn, secretName, skipped: false };
    }
    if (stored) {
      // Our secret, but the key it names is gone: someone deleted it by hand. Replacing the secret is
      // not this step's call to make; the rollback deletes it with the rest of this execution.
      throw new ConflictError(
        `secret "${secretName}" of this execution names access key ${storedKeyId ?? '(none)'}, which no longer exists`,
      );
    }
    // A key on our own user whose secret nobody holds (an earlier attempt's answer was lost): ours to
    // replace, and it must go, or the third key would be refused.
    for (const key of keys) await iam.deleteAccessKey(userName, key.accessKeyId);

    const key = await iam.createAccessKey(userName);
    const created = await secrets.createSecret({
      name: secretName,
      value: JSON.stringify({ AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey }),
      description: `Access key of IAM user ${userName} (onboarding ${input.request.requestId})`,
      tags: { ...ownershipTags(input), [TAG_ACCESS_KEY_ID]: key.accessKeyId },
    });
    if (!created.created) {
      throw new SecretAlreadyExistsError(`secret "${secretName}" appeared while this onboarding ran`);
    }
    await secrets.putResourcePolicy(created.arn, userOnlyPolicy(found.user.arn));
    // The SDK may itself have retried a CreateAccessKey whose answer was lost: any other key on our
    // own new user has no stored secret, so nobody can use it.
    for (const other of await iam.listAccessKeys(userName)) {
      if (other.accessKeyId !== key.accessKeyId) await iam.deleteAccessKey(userName, other.accessKeyId);
    }
    return { accessKeyId: key.accessKeyId, secretArn: created.arn, secretName, skipped: false };
  },

  async undo(input, deps) {
    if (!input.plan.accessKey.create) return { status: 'nothing', detail: 'no access key was requested' };
    const done: string[] = [];
    const secret = await deps.secrets.describeSecret(input.plan.accessKey.secretName);
    if (secret && isOurs(secret.tags, input.execution)) {
      // False: gone by now (a retried deletion whose first answer was lost finds it so) - undone all the same.
      const deleted = await deps.secrets.deleteSecret(secret.arn);
      done.push(deleted ? `deleted secret ${secret.name}` : `secret ${secret.name} is gone`);
    }
    const found = await ourUser(input, deps);
    if (found.ours) {
      for (const key of await deps.iam.listAccessKeys(found.user.name)) {
        if (await deps.iam.deleteAccessKey(found.user.name, key.accessKeyId))
          done.push(`deleted access key ${key.accessKeyId}`);
      }
    }
    return done.length > 0
      ? { status: 'undone', detail: done.join(', ') }
      : { status: 'nothing', detail: 'no key or secret of this execution' };
  },
});
