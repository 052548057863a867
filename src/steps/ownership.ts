import type { UserInfo } from '../gateways/iam.ts';
import { TAG_EXECUTION, TAG_REQUEST_ID } from '../request.ts';
import type { StepInput, TaskDeps } from './types.ts';

/** The tags that prove a user, role or secret was created by this execution. */
export function ownershipTags(input: Pick<StepInput, 'request' | 'execution'>): Record<string, string> {
  return { [TAG_REQUEST_ID]: input.request.requestId, [TAG_EXECUTION]: input.execution };
}

export function isOurs(tags: Record<string, string>, execution: string): boolean {
  return tags[TAG_EXECUTION] === execution;
}

/** The onboarded user if it exists and carries this execution's tag; never someone else's. */
export async function ourUser(
  input: StepInput,
  deps: TaskDeps,
): Promise<{ user: UserInfo; ours: true } | { user?: UserInfo; ours: false }> {
  const user = await deps.iam.getUser(input.plan.user.name);
  if (!user) return { ours: false };
  return isOurs(user.tags, input.execution) ? { user, ours: true } : { user, ours: false };
}
