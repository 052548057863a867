import { type OffboardingTaskDeps, type Provider, verifyHandler } from '../src/offboarding/handlers.ts';
import { lambdaLeaverLedgerDeps } from '../src/offboarding/lambda-deps.ts';

/** Verify: the leaver is gone; the ledger records the removal. */
export const make = (deps: Provider<OffboardingTaskDeps>) => ({ handler: verifyHandler(deps) });
export const { handler } = make(lambdaLeaverLedgerDeps);
