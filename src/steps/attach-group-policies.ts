import type * as z from 'zod/mini';
import { call } from './calls.ts';
import { attachGroupPoliciesResultSchema } from './results.ts';
import { defineStep, type StepInput } from './types.ts';

export type AttachGroupPoliciesResult = z.infer<typeof attachGroupPoliciesResultSchema>;

/** Only this execution's own CreateGroup answering success proves the group ours (groups cannot be tagged). */
const createdByThisExecution = (input: StepInput): boolean => input.created.EnsureGroup?.created === true;

/**
 * The profile's policies on its group. A shared group is configuration: what it carries comes from the
 * profile, never from a request, and a rollback never strips a group that other members rely on.
 */
export const attachGroupPolicies = defineStep({
  name: 'AttachGroupPolicies',
  resultSchema: attachGroupPoliciesResultSchema,
  calls: [call('iam:AttachGroupPolicy')],
  undoCalls: [call('iam:GetGroup'), call('iam:DetachGroupPolicy')],

  async run(input, { iam }) {
    const group = input.plan.group.name;
    const planned = input.plan.policies.filter((p) => p.attach).map((p) => p.arn);
    // AttachGroupPolicy is idempotent: a retry after a partial attempt simply attaches again.
    for (const arn of planned) await iam.attachGroupPolicy(group, arn);
    return { groupName: group, attached: planned, driftRepair: !createdByThisExecution(input) };
  },

  async undo(input, { iam }) {
    const group = input.plan.group.name;
    const planned = input.plan.policies.filter((p) => p.attach).map((p) => p.arn);
    if (planned.length === 0) return { status: 'nothing', detail: `no policy of this execution on ${group}` };
    if (!input.plan.group.create) {
      // The group existed before this execution: its members (and tickets running at the same time,
      // told "already attached") rely on the profile's policies. Drift repair is never undone.
      return {
        status: 'kept',
        detail: `kept ${planned.join(', ')} on existing group ${group} (attached as drift repair: the group's configuration, not this hire's)`,
      };
    }
    if (!createdByThisExecution(input)) {
      // The plan found no group, but CreateGroup answered "already exists": another onboarding created
      // it meanwhile (or ours did, its answer lost). Either way it is not proven ours: its policies stay.
      return {
        status: 'kept',
        detail: `kept ${planned.join(', ')} on group ${group}, which this execution did not prove it created (CreateGroup answered "already exists": another onboarding's, or its own with a lost answer)`,
      };
    }
    // This execution created the group, but others may have joined it since: their policies stay, and
    // the group with them (UndoEnsureGroup keeps a group that has members).
    const members = await iam.groupMembers(group);
    if (members === undefined) return { status: 'nothing', detail: `group ${group} does not exist` };
    const others = members.filter((m) => m !== input.plan.user.name);
    if (others.length > 0) {
      return {
        status: 'kept',
        detail: `kept ${planned.join(', ')} on ${group}: ${others.length} other member(s) joined the group this execution created`,
      };
    }
    const detached: string[] = [];
    for (const arn of planned) {
      if (await iam.detachGroupPolicy(group, arn)) detached.push(arn);
    }
    return detached.length > 0
      ? { status: 'undone', detail: `detached ${detached.join(', ')} from ${group}` }
      : { status: 'nothing', detail: `no policy of this execution attached to ${group}` };
  },
});
