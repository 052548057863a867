import { lambdaDeps } from '../src/lambda/deps.ts';
import { type Provider, stepHandlers } from '../src/lambda/handlers.ts';
import { createLoginProfile } from '../src/steps/create-login-profile.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** CreateLoginProfile and its undo: the one-time password leaves only encrypted to the hire's key. */
export const make = (deps: Provider<TaskDeps>) => stepHandlers(createLoginProfile, deps);
export const { handler, undo } = make(lambdaDeps);
