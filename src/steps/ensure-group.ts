import * as z from 'zod/mini';
import { call } from './calls.ts';
import { defineStep } from './types.ts';

export const ensureGroupResultSchema = z.strictObject({
  groupName: z.string(),
  /** True only when this execution's own CreateGroup call answered success. */
  created: z.boolean(),
});
export type EnsureGroupResult = z.infer<typeof ensureGroupResultSchema>;

export const ensureGroup = defineStep({
  name: 'EnsureGroup',
  resultSchema: ensureGroupResultSchema,
  calls: [call('iam:CreateGroup')],
  undoCalls: [
    call('iam:DeleteGroup'),
    // A retried DeleteGroup that finds the group gone is refused (AccessDenied): the group is read back.
    call('iam:GetGroup', { when: { afterLost: 'iam:DeleteGroup' } }),
  ],

  async run(input, { iam }) {
    const { group } = input.plan;
    if (!group.create) return { groupName: group.name, created: false };
    const result = await iam.createGroup(group.name, group.path);
    // Groups cannot be tagged: "already exists" cannot be proven ours, so it counts as not ours.
    // A lost answer plus a failure therefore leaves at worst an empty group, never a deleted one.
    return { groupName: group.name, created: result.created };
  },

  async undo(input, { iam }) {
    const name = input.plan.group.name;
    if (!input.created.EnsureGroup?.created)
      return { status: 'nothing', detail: `group ${name} was not created by this execution` };
    const outcome = await iam.deleteGroup(name);
    if (outcome === 'in-use') {
      // Others joined it (or attached policies) meanwhile: IAM refuses, and deleting it would hurt them.
      return { status: 'kept', detail: `group ${name} kept: it has other members or policies now` };
    }
    // Absent: our group is gone all the same (the retry of a deletion whose answer was lost finds it so).
    return outcome === 'deleted'
      ? { status: 'undone', detail: `group ${name} deleted` }
      : { status: 'undone', detail: `group ${name} is gone` };
  },
});
