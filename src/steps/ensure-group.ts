import type * as z from 'zod/mini';
import { call } from './calls.ts';
import { ensureGroupResultSchema } from './results.ts';
import { defineStep, type UndoResult } from './types.ts';

export type EnsureGroupResult = z.infer<typeof ensureGroupResultSchema>;

export const ensureGroup = defineStep({
  name: 'EnsureGroup',
  resultSchema: ensureGroupResultSchema,
  // Groups cannot be tagged: a lost CreateGroup answer leaves a group nothing proves ours.
  calls: [call('iam:CreateGroup', { unprovable: true })],
  undoCalls: [
    call('iam:DeleteGroup'),
    // A retried DeleteGroup that finds the group gone is refused (AccessDenied): the group is read back.
    call('iam:GetGroup', { when: { afterLost: 'iam:DeleteGroup' } }),
    // A group the plan did not find but that is there now, unproven: read to tell "empty" from "in use".
    call('iam:GetGroup', { when: 'unproven-group' }),
  ],

  async run(input, { iam }) {
    const { group } = input.plan;
    if (!group.create) return { groupName: group.name, created: false };
    const result = await iam.createGroup(group.name, group.path);
    // Groups cannot be tagged: "already exists" cannot be proven ours, so it counts as not ours.
    // A lost answer plus a failure therefore leaves at worst an empty group, never a deleted one.
    return { groupName: group.name, created: result.created };
  },

  async undo(input, { iam }): Promise<UndoResult> {
    const { name, create } = input.plan.group;
    if (!create) return { status: 'nothing', detail: `group ${name} existed before this execution` };
    if (!input.created.EnsureGroup?.created)
      return unprovenGroup(name, input.plan.user.name, input.created.EnsureGroup, iam);
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

/**
 * The plan found no group, and this execution's CreateGroup never answered success: it answered
 * "already exists" (its first answer lost, or another onboarding created the group meanwhile), or the
 * step never finished (its Lambda died after the call, or the call failed after IAM acted). A group
 * that is there now may be ours, but cannot be proven so: it is never deleted. Empty, it is reported
 * as left behind - the rollback is incomplete and says why; in use by others, it is theirs now.
 */
async function unprovenGroup(
  name: string,
  userName: string,
  result: { created: boolean } | undefined,
  iam: { groupMembers(name: string): Promise<string[] | undefined> },
): Promise<UndoResult> {
  const members = await iam.groupMembers(name);
  if (members === undefined)
    return { status: 'nothing', detail: `group ${name} was not created by this execution` };
  const how =
    result === undefined
      ? 'EnsureGroup never finished, so whether its CreateGroup took effect is unknown'
      : 'CreateGroup answered "already exists": its first answer was lost, or another onboarding created it meanwhile';
  // This execution's own user is not "someone else": if it is still in, UndoAddUserToGroup says why.
  const others = members.filter((m) => m !== userName);
  if (others.length > 0) {
    return {
      status: 'kept',
      detail: `group ${name} kept: it was absent at plan time, but ${how}, and ${others.length} other member(s) use it now`,
    };
  }
  return {
    status: 'unproven',
    detail: `group ${name} is empty and was absent at plan time, but ${how}: it may be this execution's and is left in place (groups cannot be tagged); delete it if no one uses it (aws iam delete-group --group-name ${name}, after detaching its policies)`,
  };
}
