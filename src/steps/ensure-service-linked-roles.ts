import type * as z from 'zod/mini';
import { NotYetVisibleError, ServiceLinkedRoleInUseError } from '../errors.ts';
import type { RoleInfo } from '../gateways/iam.ts';
import { call } from './calls.ts';
import { ensureServiceLinkedRolesResultSchema } from './results.ts';
import { defineStep } from './types.ts';

export type EnsureServiceLinkedRolesResult = z.infer<typeof ensureServiceLinkedRolesResultSchema>;

/**
 * CreateServiceLinkedRole takes no tags, but it takes a description, set in the same call: naming the
 * execution there proves ownership with one mutating call and no window in between.
 */
export const roleDescription = (execution: string) => `Created by iam-onboarding execution ${execution}`;
const isOurRole = (role: RoleInfo, execution: string) => role.description === roleDescription(execution);

/** How long an undo waits for IAM's asynchronous deletion before reporting it as still running. */
const DELETION_POLLS = 10;
const DELETION_POLL_MS = 500;

export const ensureServiceLinkedRoles = defineStep({
  name: 'EnsureServiceLinkedRoles',
  resultSchema: ensureServiceLinkedRolesResultSchema,
  calls: [
    call('iam:CreateServiceLinkedRole'),
    // "Taken" (a retry after a lost answer): the role is read back to see whose it is.
    call('iam:ListRoles', { when: { afterLost: 'iam:CreateServiceLinkedRole' } }),
  ],
  undoCalls: [
    call('iam:ListRoles'),
    call('iam:DeleteServiceLinkedRole'),
    // The deletion goes on whether or not its status can be read: when it cannot, the list is read again.
    call('iam:GetServiceLinkedRoleDeletionStatus', { confirms: true }),
  ],

  async run(input, { iam }) {
    const roles: EnsureServiceLinkedRolesResult['roles'] = [];
    for (const planned of input.plan.serviceLinkedRoles) {
      if (!planned.create) {
        roles.push({ service: planned.service, roleName: planned.roleName ?? '', created: false });
        continue;
      }
      const result = await iam.createServiceLinkedRole(planned.service, roleDescription(input.execution));
      if (result.created) {
        roles.push({ service: planned.service, roleName: result.value.name, created: true });
        continue;
      }
      // "Taken": the name is the service's, so read it back; ours only if our description is on it.
      const existing = await iam.findServiceLinkedRole(planned.service);
      if (!existing)
        throw new NotYetVisibleError(
          `service-linked role for ${planned.service} is taken but not listed yet`,
        );
      roles.push({
        service: planned.service,
        roleName: existing.name,
        created: isOurRole(existing, input.execution),
      });
    }
    return { roles };
  },

  async undo(input, { iam, sleep }) {
    const deleted: string[] = [];
    const kept: string[] = [];
    for (const planned of input.plan.serviceLinkedRoles.filter((r) => r.create).reverse()) {
      const role = await iam.findServiceLinkedRole(planned.service);
      if (!role) continue;
      if (!isOurRole(role, input.execution)) {
        kept.push(`${role.name} (not proven ours)`);
        continue;
      }
      const taskId = await iam.deleteServiceLinkedRole({ name: role.name, service: planned.service });
      if (!taskId) {
        // Ours a moment ago and gone now (a retried deletion whose first answer was lost finds it so).
        deleted.push(`${role.name} (gone)`);
        continue;
      }
      // Deletion is asynchronous and fails if the service still uses the role. The poll only confirms
      // it: when the status cannot be read, the role's absence from the list says the same.
      const poll = async () => {
        try {
          return await iam.serviceLinkedRoleDeletionStatus(taskId);
        } catch (error) {
          if (await iam.findServiceLinkedRole(planned.service)) throw error;
          return { status: 'SUCCEEDED' as const };
        }
      };
      let status = await poll();
      for (
        let i = 0;
        i < DELETION_POLLS && (status.status === 'IN_PROGRESS' || status.status === 'NOT_STARTED');
        i++
      ) {
        await sleep(DELETION_POLL_MS);
        status = await poll();
      }
      if (status.status === 'FAILED') {
        throw new ServiceLinkedRoleInUseError(
          `service-linked role ${role.name} could not be deleted: ${status.reason ?? 'the service still uses it'}`,
        );
      }
      deleted.push(status.status === 'SUCCEEDED' ? role.name : `${role.name} (deletion ${status.status})`);
    }
    if (deleted.length > 0) {
      const keptNote = kept.length > 0 ? `; kept ${kept.join(', ')}` : '';
      return { status: 'undone', detail: `deleted ${deleted.join(', ')}${keptNote}` };
    }
    if (kept.length > 0) return { status: 'kept', detail: `kept ${kept.join(', ')}` };
    return { status: 'nothing', detail: 'no service-linked role of this execution' };
  },
});
