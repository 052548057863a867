import { awaitGraceHandler, type OffboardingTaskDeps, type Provider } from '../src/offboarding/handlers.ts';
import { lambdaLedgerDeps } from '../src/offboarding/lambda-deps.ts';

/** GracePeriod (.waitForTaskToken): stores the task token in the ledger for a restore to answer; the timeout is the removal. */
export const make = (deps: Provider<OffboardingTaskDeps>) => ({ handler: awaitGraceHandler(deps) });
export const { handler } = make(lambdaLedgerDeps);
