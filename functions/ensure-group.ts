import { lambdaDeps } from '../src/lambda/deps.ts';
import { type Provider, stepHandlers } from '../src/lambda/handlers.ts';
import { ensureGroup } from '../src/steps/ensure-group.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** EnsureGroup and its undo: creates the group if the plan says so; deletes it only if this execution created it. */
export const make = (deps: Provider<TaskDeps>) => stepHandlers(ensureGroup, deps);
export const { handler, undo } = make(lambdaDeps);
