import { lambdaDeps } from '../src/lambda/deps.ts';
import { type Provider, stepHandlers } from '../src/lambda/handlers.ts';
import { attachGroupPolicies } from '../src/steps/attach-group-policies.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** AttachGroupPolicies and its undo: the planned, not-yet-attached managed policies. */
export const make = (deps: Provider<TaskDeps>) => stepHandlers(attachGroupPolicies, deps);
export const { handler, undo } = make(lambdaDeps);
