import type * as z from 'zod/mini';
import { call } from './calls.ts';
import { ourUser } from './ownership.ts';
import { addUserToGroupResultSchema } from './results.ts';
import { defineStep } from './types.ts';

export type AddUserToGroupResult = z.infer<typeof addUserToGroupResultSchema>;

export const addUserToGroup = defineStep({
  name: 'AddUserToGroup',
  resultSchema: addUserToGroupResultSchema,
  calls: [call('iam:AddUserToGroup')],
  undoCalls: [call('iam:GetUser'), call('iam:RemoveUserFromGroup')],

  async run(input, { iam }) {
    // AddUserToGroup is idempotent in IAM: a retry after a lost answer simply succeeds.
    await iam.addUserToGroup(input.plan.user.name, input.plan.group.name);
    return { userName: input.plan.user.name, groupName: input.plan.group.name };
  },

  async undo(input, deps) {
    const { user, group } = input.plan;
    const found = await ourUser(input, deps);
    if (!found.ours) return { status: 'nothing', detail: `no user ${user.name} of this execution` };
    const removed = await deps.iam.removeUserFromGroup(user.name, group.name);
    return removed
      ? { status: 'undone', detail: `removed ${user.name} from ${group.name}` }
      : { status: 'nothing', detail: `${user.name} was not in ${group.name}` };
  },
});
