import * as z from 'zod/mini';
import { call } from './calls.ts';
import { defineStep } from './types.ts';

export const attachGroupPoliciesResultSchema = z.strictObject({
  groupName: z.string(),
  attached: z.array(z.string()),
});
export type AttachGroupPoliciesResult = z.infer<typeof attachGroupPoliciesResultSchema>;

export const attachGroupPolicies = defineStep({
  name: 'AttachGroupPolicies',
  resultSchema: attachGroupPoliciesResultSchema,
  calls: [call('iam:AttachGroupPolicy')],
  undoCalls: [call('iam:DetachGroupPolicy')],

  async run(input, { iam }) {
    const group = input.plan.group.name;
    const planned = input.plan.policies.filter((p) => p.attach).map((p) => p.arn);
    // AttachGroupPolicy is idempotent: a retry after a partial attempt simply attaches again.
    for (const arn of planned) await iam.attachGroupPolicy(group, arn);
    return { groupName: group, attached: planned };
  },

  async undo(input, { iam }) {
    const group = input.plan.group.name;
    // The plan is the pre-image: a planned attachment was absent before this execution, so whatever
    // of it is present now was attached by this execution (AttachGroupPolicy cannot be tagged).
    const planned = input.plan.policies.filter((p) => p.attach).map((p) => p.arn);
    const detached: string[] = [];
    for (const arn of planned) {
      if (await iam.detachGroupPolicy(group, arn)) detached.push(arn);
    }
    return detached.length > 0
      ? { status: 'undone', detail: `detached ${detached.join(', ')} from ${group}` }
      : { status: 'nothing', detail: `no policy of this execution attached to ${group}` };
  },
});
