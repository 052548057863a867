/**
 * The saga's state names alone, for the code that reads an execution (its timeline, its rollback
 * report, the HTTP API's and the CLI's views) and never runs a step: importing the registry
 * (src/steps/index.ts) for a name would put every step, and the age implementation the sealing steps
 * carry, in the HTTP API's bundle. index.ts checks these against SAGA_STEPS by type, a unit test by
 * value.
 */

/** The saga's steps, in order: the ASL's forward states after the prepare tasks. */
export const SAGA_STEP_NAMES = [
  'CreateUser',
  'EnsureGroup',
  'AddUserToGroup',
  'AttachGroupPolicies',
  'AttachUserPolicies',
  'EnsureServiceLinkedRoles',
  'CreateLoginProfile',
  'CreateAccessKey',
] as const;

export type SagaStepName = (typeof SAGA_STEP_NAMES)[number];

/** The tasks before any write: ValidateRequest, then Plan. */
export const PREPARE_STATE_NAMES = ['ValidateRequest', 'Plan'] as const;

export const undoStateName = (step: string) => `Undo${step}`;

export const FORWARD_STATES: string[] = [...PREPARE_STATE_NAMES, ...SAGA_STEP_NAMES];
/** The rollback chain: the undos in reverse order of their steps. */
export const UNDO_STATES: string[] = [...SAGA_STEP_NAMES].reverse().map(undoStateName);
