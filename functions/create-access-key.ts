import { type Provider, stepHandlers } from '../src/lambda/handlers.ts';
import { lambdaDepsWithSecrets } from '../src/lambda/secrets-deps.ts';
import { createAccessKey } from '../src/steps/create-access-key.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** CreateAccessKey and its undo: the secret goes straight into Secrets Manager; only references come out. */
export const make = (deps: Provider<TaskDeps>) => stepHandlers(createAccessKey, deps);
export const { handler, undo } = make(lambdaDepsWithSecrets);
