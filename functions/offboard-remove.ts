import { type OffboardingTaskDeps, type Provider, removeHandler } from '../src/offboarding/handlers.ts';
import { lambdaRemoveDeps } from '../src/offboarding/remove-deps.ts';

/** Remove: everything on the leaver in AWS's order, then the user and its credentials secret. */
export const make = (deps: Provider<OffboardingTaskDeps>) => ({ handler: removeHandler(deps) });
export const { handler } = make(lambdaRemoveDeps);
