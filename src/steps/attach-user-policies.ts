import type * as z from 'zod/mini';
import { call } from './calls.ts';
import { ourUser } from './ownership.ts';
import { attachUserPoliciesResultSchema } from './results.ts';
import { defineStep } from './types.ts';

export type AttachUserPoliciesResult = z.infer<typeof attachUserPoliciesResultSchema>;

/**
 * The request's extra policies, from its profile's own allowlist, on the user: never on the shared group,
 * so one hire's ticket changes nobody else's permissions. The user is this execution's, so its undo
 * simply detaches them.
 */
export const attachUserPolicies = defineStep({
  name: 'AttachUserPolicies',
  resultSchema: attachUserPoliciesResultSchema,
  calls: [call('iam:AttachUserPolicy')],
  undoCalls: [call('iam:GetUser'), call('iam:DetachUserPolicy')],

  async run(input, { iam }) {
    const user = input.plan.user.name;
    const planned = input.plan.userPolicies.map((p) => p.arn);
    // AttachUserPolicy is idempotent: a retry after a lost answer simply attaches again. The role only
    // allows it on users tagged by this stack's executions, and only the profiles' allowlisted policies.
    for (const arn of planned) await iam.attachUserPolicy(user, arn);
    return { userName: user, attached: planned };
  },

  async undo(input, deps) {
    const user = input.plan.user.name;
    const planned = input.plan.userPolicies.map((p) => p.arn);
    if (planned.length === 0) return { status: 'nothing', detail: 'no extra policy was requested' };
    const found = await ourUser(input, deps);
    // Someone else's user of that name never got anything from this execution (CreateUser failed).
    if (!found.ours) return { status: 'nothing', detail: `no user ${user} of this execution` };
    const detached: string[] = [];
    for (const arn of planned) {
      if (await deps.iam.detachUserPolicy(user, arn)) detached.push(arn);
    }
    return detached.length > 0
      ? { status: 'undone', detail: `detached ${detached.join(', ')} from ${user}` }
      : { status: 'nothing', detail: `no policy of this execution attached to ${user}` };
  },
});
