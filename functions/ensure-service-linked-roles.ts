import { lambdaDeps } from '../src/lambda/deps.ts';
import { type Provider, stepHandlers } from '../src/lambda/handlers.ts';
import { ensureServiceLinkedRoles } from '../src/steps/ensure-service-linked-roles.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** EnsureServiceLinkedRoles and its undo: the planned service-linked roles, tagged with this execution. */
export const make = (deps: Provider<TaskDeps>) => stepHandlers(ensureServiceLinkedRoles, deps);
export const { handler, undo } = make(lambdaDeps);
