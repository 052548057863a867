/**
 * What a task declares about the AWS calls it makes. The declaration is the single list from which the
 * fault matrix's cells, the per-call failure scenarios and the expected IAM actions of each function's
 * role are derived, so a new call (or a new step) cannot escape them. The local stack checks it too:
 * a function whose calls are not all declared fails the scenario tests.
 */

export type AwsService = 'iam' | 'secretsmanager' | 'sts' | 'states' | 'dynamodb';
export type AwsAction = `${AwsService}:${string}`;

/**
 * When a call is only made in some situations, the situation, from a closed list that the fault
 * matrix knows how to arrange (so that it can make the call happen and then break it):
 * - `existing-group`: the request's group existed before the execution;
 * - `user-extras`: the onboarded user carries things this execution did not add (another key, a
 *   policy, an inline policy, a login profile, another group) when the undo runs;
 * - `unproven-group`: the plan found no group, but the group there now is not proven this execution's
 *   (its CreateGroup answer was lost, or the task died after it): the undo reads it before leaving it;
 * - `{ afterLost }`: the answer of that earlier call of the same task was lost, and the task retried;
 * - `privileged`: the request's profile is privileged (the approval gate ran before the task).
 */
export type CallCondition =
  | 'existing-group'
  | 'user-extras'
  | 'unproven-group'
  | 'privileged'
  | { afterLost: AwsAction };

export interface DeclaredCall {
  action: AwsAction;
  when?: CallCondition;
  /**
   * IAM actions that authorize this call besides its own (CreateUser with tags is also authorized as
   * iam:TagUser; CreateSecret with tags as secretsmanager:TagResource): the role needs them too.
   */
  alsoAuthorizes?: readonly AwsAction[];
  /**
   * A read that only confirms the effect of an earlier call of the same task (a deletion-status poll):
   * when it fails, the task reads the state another way and finds the work done, so its failure is
   * recovered rather than fatal - the fault matrix holds it to that.
   */
  confirms?: true;
  /**
   * A create whose lost answer leaves a resource that nothing can prove this execution's (groups cannot
   * be tagged): after a later failure the rollback leaves it in place and says so, ending
   * RollbackIncomplete. The fault matrix holds the step to that.
   */
  unprovable?: true;
}

export const call = (action: AwsAction, options: Omit<DeclaredCall, 'action'> = {}): DeclaredCall => ({
  action,
  ...options,
});

/** Reads change nothing: Get*, List*, Describe* and the deletion-status poll. */
export function isRead(action: AwsAction): boolean {
  const verb = action.slice(action.indexOf(':') + 1);
  return /^(Get|List|Describe)/.test(verb);
}

export const serviceOf = (action: AwsAction): AwsService =>
  action.slice(0, action.indexOf(':')) as AwsService;
export const verbOf = (action: AwsAction): string => action.slice(action.indexOf(':') + 1);

/** Every IAM action a list of calls needs: the calls' own and what they also authorize. */
export function authorizedActions(calls: readonly DeclaredCall[]): AwsAction[] {
  return [...new Set(calls.flatMap((c) => [c.action, ...(c.alsoAuthorizes ?? [])]))].sort();
}

export function describeCondition(when: CallCondition | undefined): string {
  if (!when) return 'always';
  if (typeof when === 'object') return `after a lost ${verbOf(when.afterLost)} answer`;
  if (when === 'unproven-group') return 'when the group is not proven ours';
  if (when === 'privileged') return 'for a privileged profile';
  return when === 'existing-group' ? 'when the group exists' : 'when the user carries extras';
}
