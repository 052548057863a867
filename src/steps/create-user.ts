import type * as z from 'zod/mini';
import { NotYetVisibleError, UserAlreadyExistsError } from '../errors.ts';
import { call } from './calls.ts';
import { isOurs, ourUser, ownershipTags } from './ownership.ts';
import { createUserResultSchema } from './results.ts';
import { defineStep } from './types.ts';

export type CreateUserResult = z.infer<typeof createUserResultSchema>;

export const createUser = defineStep({
  name: 'CreateUser',
  resultSchema: createUserResultSchema,
  calls: [
    // CreateUser with tags is also authorized as TagUser.
    call('iam:CreateUser', { alsoAuthorizes: ['iam:TagUser'] }),
    call('iam:GetUser', { when: { afterLost: 'iam:CreateUser' } }),
  ],
  undoCalls: [
    call('iam:GetUser'),
    call('iam:ListAccessKeys'),
    call('iam:DeleteAccessKey', { when: 'user-extras' }),
    call('iam:ListGroupsForUser'),
    call('iam:RemoveUserFromGroup', { when: 'user-extras' }),
    call('iam:ListAttachedUserPolicies'),
    call('iam:DetachUserPolicy', { when: 'user-extras' }),
    call('iam:ListUserPolicies'),
    call('iam:DeleteUserPolicy', { when: 'user-extras' }),
    call('iam:DeleteLoginProfile'),
    call('iam:DeleteUser'),
  ],

  async run(input, { iam }) {
    const { user } = input.plan;
    const tags = { ...input.request.tags, ...ownershipTags(input) };
    const result = await iam.createUser({
      name: user.name,
      path: user.path,
      boundaryArn: user.permissionsBoundaryArn,
      tags,
    });
    if (result.created) return { userName: result.value.name, userArn: result.value.arn, adopted: false };
    // Taken: ours only if our execution tag proves it (a retry after a lost answer).
    const existing = await iam.getUser(user.name);
    if (!existing) {
      throw new NotYetVisibleError(
        `CreateUser ${user.name}: EntityAlreadyExists, but GetUser does not see it yet`,
      );
    }
    if (!isOurs(existing.tags, input.execution)) {
      throw new UserAlreadyExistsError(
        `user "${user.name}" was created by someone else while this onboarding ran`,
      );
    }
    return { userName: existing.name, userArn: existing.arn, adopted: true };
  },

  async undo(input, deps) {
    const found = await ourUser(input, deps);
    if (!found.user) return { status: 'nothing', detail: `user ${input.plan.user.name} does not exist` };
    if (!found.ours) {
      return { status: 'kept', detail: `user ${input.plan.user.name} was not created by this execution` };
    }
    // The user is ours, so everything on it is too: clear what keeps IAM from deleting it.
    const removed = await deps.iam.detachEverythingFromUser(found.user.name);
    await deps.iam.deleteUser(found.user.name);
    const extra = removed.length > 0 ? ` (after removing ${removed.join(', ')})` : '';
    return { status: 'undone', detail: `deleted user ${found.user.name}${extra}` };
  },
});
