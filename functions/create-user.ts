import { lambdaDeps } from '../src/lambda/deps.ts';
import { type Provider, stepHandlers } from '../src/lambda/handlers.ts';
import { createUser } from '../src/steps/create-user.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** CreateUser and its undo: the user, tagged with this execution, under the permissions boundary. */
export const make = (deps: Provider<TaskDeps>) => stepHandlers(createUser, deps);
export const { handler, undo } = make(lambdaDeps);
