import type * as z from 'zod/mini';
import { APPROVAL_CALLS, APPROVAL_STATE } from '../approvals/approvals.ts';
import { addUserToGroup } from './add-user-to-group.ts';
import { attachGroupPolicies } from './attach-group-policies.ts';
import { attachUserPolicies } from './attach-user-policies.ts';
import { type AwsAction, call, type DeclaredCall } from './calls.ts';
import { createAccessKey } from './create-access-key.ts';
import { createLoginProfile } from './create-login-profile.ts';
import { createUser } from './create-user.ts';
import { ensureGroup } from './ensure-group.ts';
import { ensureServiceLinkedRoles } from './ensure-service-linked-roles.ts';
import { createdSchema, stepInputSchema } from './input.ts';
import {
  FORWARD_STATES,
  type PREPARE_STATE_NAMES,
  type SAGA_STEP_NAMES,
  UNDO_STATES,
  undoStateName,
} from './names.ts';
import type { SagaStep, TaskDeclaration } from './types.ts';

/**
 * The onboarding saga, in order. The state machine's forward states carry these names, its rollback
 * chain the `Undo<name>` states in reverse order; a test proves the ASL, serverless.yml and functions/
 * agree, and every test layer (fault matrix, scenarios, role checks) iterates this list.
 */
export const SAGA_STEPS = [
  createUser,
  ensureGroup,
  addUserToGroup,
  attachGroupPolicies,
  attachUserPolicies,
  ensureServiceLinkedRoles,
  createLoginProfile,
  createAccessKey,
] as const;

type Step = (typeof SAGA_STEPS)[number];
export type SagaStepName = Step['name'];
type ResultOf<S> = S extends SagaStep<string, infer R> ? R : never;

/** `$.created`: each step's result, once it succeeded. */
export type Created = { [S in Step as S['name']]?: ResultOf<S> };

/** The tasks before any write, and the one after the rollback. */
export const validateRequestTask: TaskDeclaration<'ValidateRequest'> = { name: 'ValidateRequest', calls: [] };
export const planTask: TaskDeclaration<'Plan'> = {
  name: 'Plan',
  calls: [
    call('iam:GetUser'),
    call('iam:GetPolicy'),
    call('iam:GetGroup'),
    call('iam:ListAttachedGroupPolicies', { when: 'existing-group' }),
    call('iam:ListRoles'),
    call('secretsmanager:DescribeSecret'),
    // A privileged request's decision, read from the ledger before anything else.
    call(APPROVAL_CALLS.read, { when: 'privileged' }),
  ],
};
/** The approval gate's task: it stores the pending approval and its token (no IAM call). */
export const awaitApprovalTask: TaskDeclaration<typeof APPROVAL_STATE> = {
  name: APPROVAL_STATE,
  calls: [call(APPROVAL_CALLS.pending)],
};
export const reportRollbackTask: TaskDeclaration<'ReportRollback'> = { name: 'ReportRollback', calls: [] };

export const PREPARE_TASKS = [validateRequestTask, planTask] as const;

/**
 * What every task that reads or writes the account calls first: its execution, to prove the event is
 * the one the execution produced (src/gateways/executions.ts). ValidateRequest and ReportRollback act
 * on nothing and have no AWS access, so they do not.
 */
export const VERIFY_CALLS = [call('states:DescribeExecution'), call('states:GetExecutionHistory')] as const;
export const REPORT_STATE = reportRollbackTask.name;

/** Only privileged requests pass through it: between ValidateRequest and Plan, not a saga step. */
export const APPROVAL_STATES: string[] = [awaitApprovalTask.name];

export const TASK_STATES: string[] = [...FORWARD_STATES, ...APPROVAL_STATES, ...UNDO_STATES, REPORT_STATE];

/** What a Task state is, for the tests and tools that iterate them. */
export interface TaskInfo {
  state: string;
  phase: 'prepare' | 'approval' | 'forward' | 'undo' | 'report';
  calls: readonly DeclaredCall[];
  step?: SagaStep<string, unknown>;
}

const verified = (calls: readonly DeclaredCall[]) => [...VERIFY_CALLS, ...calls];

export const TASKS: readonly TaskInfo[] = [
  { state: validateRequestTask.name, phase: 'prepare', calls: validateRequestTask.calls },
  { state: awaitApprovalTask.name, phase: 'approval', calls: verified(awaitApprovalTask.calls) },
  { state: planTask.name, phase: 'prepare', calls: verified(planTask.calls) },
  ...SAGA_STEPS.map((s) => ({ state: s.name, phase: 'forward' as const, calls: verified(s.calls), step: s })),
  ...[...SAGA_STEPS].reverse().map((s) => ({
    state: undoStateName(s.name),
    phase: 'undo' as const,
    calls: verified(s.undoCalls),
    step: s,
  })),
  { state: reportRollbackTask.name, phase: 'report', calls: reportRollbackTask.calls },
];

export function taskOf(state: string): TaskInfo | undefined {
  return TASKS.find((t) => t.state === state);
}

/** Every AWS action some task of the saga may call: what the fault flags accept. */
export const DECLARED_ACTIONS: readonly AwsAction[] = [
  ...new Set(TASKS.flatMap((t) => t.calls.map((c) => c.action))),
].sort();

/**
 * `$.created` is parsed by src/steps/input.ts, whose schema names each step's result by hand: it must
 * be exactly what the saga's steps return (a type error here otherwise; the unit tests compare values).
 */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type CreatedIsTheSteps = Assert<Same<z.infer<typeof createdSchema>, Created>>;

/** src/steps/names.ts lists the saga's names by hand (for the bundles that only read them): these, in order. */
type NamesOf<T extends readonly { name: string }[]> = { -readonly [K in keyof T]: T[K]['name'] };
export type StepNamesAreTheSteps = Assert<Same<NamesOf<typeof SAGA_STEPS>, [...typeof SAGA_STEP_NAMES]>>;
export type PrepareNamesAreTheTasks = Assert<
  Same<NamesOf<typeof PREPARE_TASKS>, [...typeof PREPARE_STATE_NAMES]>
>;

export {
  addUserToGroup,
  attachGroupPolicies,
  attachUserPolicies,
  createAccessKey,
  createdSchema,
  createLoginProfile,
  createUser,
  ensureGroup,
  ensureServiceLinkedRoles,
  FORWARD_STATES,
  stepInputSchema,
  UNDO_STATES,
  undoStateName,
};
