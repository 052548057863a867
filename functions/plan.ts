import { type Provider, planHandler } from '../src/lambda/handlers.ts';
import { lambdaPlanDeps } from '../src/lambda/ledger-deps.ts';
import type { TaskDeps } from '../src/steps/types.ts';

/** Plan: reads the account (no writes) and decides what this execution must create. */
export const make = (deps: Provider<TaskDeps>) => ({ handler: planHandler(deps) });
export const { handler } = make(lambdaPlanDeps);
