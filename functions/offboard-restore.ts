import { type OffboardingTaskDeps, type Provider, restoreHandler } from '../src/offboarding/handlers.ts';
import { lambdaLeaverLedgerDeps } from '../src/offboarding/lambda-deps.ts';

/** Restore: switches on exactly what was active, then detaches the deny-all. */
export const make = (deps: Provider<OffboardingTaskDeps>) => ({ handler: restoreHandler(deps) });
export const { handler } = make(lambdaLeaverLedgerDeps);
