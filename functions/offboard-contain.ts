import { containHandler, type OffboardingTaskDeps, type Provider } from '../src/offboarding/handlers.ts';
import { lambdaLeaverLedgerDeps } from '../src/offboarding/lambda-deps.ts';

/** Contain: attaches the deny-all, switches every credential off, deletes the console password. */
export const make = (deps: Provider<OffboardingTaskDeps>) => ({ handler: containHandler(deps) });
export const { handler } = make(lambdaLeaverLedgerDeps);
