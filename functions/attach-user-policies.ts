import { lambdaDeps } from '../src/lambda/deps.ts';
import { type Provider, stepHandlers } from '../src/lambda/handlers.ts';
import { attachUserPolicies } from '../src/steps/attach-user-policies.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** AttachUserPolicies and its undo: the request's extra policies, from its profile's allowlist, on the user. */
export const make = (deps: Provider<TaskDeps>) => stepHandlers(attachUserPolicies, deps);
export const { handler, undo } = make(lambdaDeps);
