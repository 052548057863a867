import { lambdaDeps } from '../src/lambda/deps.ts';
import { type Provider, stepHandlers } from '../src/lambda/handlers.ts';
import { addUserToGroup } from '../src/steps/add-user-to-group.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** AddUserToGroup and its undo. */
export const make = (deps: Provider<TaskDeps>) => stepHandlers(addUserToGroup, deps);
export const { handler, undo } = make(lambdaDeps);
