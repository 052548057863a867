import { lambdaOffboardingDeps } from '../src/offboarding/deps.ts';
import {
  awaitGraceHandler,
  containHandler,
  type OffboardingTaskDeps,
  type Provider,
  removeHandler,
  restoreHandler,
  snapshotHandler,
  validateOffboardingHandler,
  verifyHandler,
} from '../src/offboarding/handlers.ts';

/**
 * The offboarding state machine's tasks (statemachine/offboarding.asl.yaml). serverless.yml deploys each
 * export as a function of its own, with its own role: Snapshot only reads, Contain only switches off,
 * Restore only switches on, Remove only removes.
 */
export const make = (deps: Provider<OffboardingTaskDeps>) => ({
  validate: validateOffboardingHandler(),
  snapshot: snapshotHandler(deps),
  contain: containHandler(deps),
  awaitGrace: awaitGraceHandler(deps),
  restore: restoreHandler(deps),
  remove: removeHandler(deps),
  verify: verifyHandler(deps),
});
export const { validate, snapshot, contain, awaitGrace, restore, remove, verify } =
  make(lambdaOffboardingDeps);
