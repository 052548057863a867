import { type OffboardingTaskDeps, type Provider, snapshotHandler } from '../src/offboarding/handlers.ts';
import { lambdaLeaverLedgerDeps } from '../src/offboarding/lambda-deps.ts';

/** Snapshot (statemachine/offboarding.asl.yaml): reads the leaver and everything on it, refuses a user this stack did not onboard, records the snapshot in the ledger. */
export const make = (deps: Provider<OffboardingTaskDeps>) => ({ handler: snapshotHandler(deps) });
export const { handler } = make(lambdaLeaverLedgerDeps);
