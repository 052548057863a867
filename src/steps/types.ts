import type * as z from 'zod/mini';
import type { ApprovalStore } from '../approvals/approvals.ts';
import type { RuntimeConfig } from '../config.ts';
import type { ExecutionVerifier } from '../gateways/executions.ts';
import type { IamGateway } from '../gateways/iam.ts';
import type { SecretStore } from '../gateways/secrets.ts';
import type { Plan } from '../plan.ts';
import type { OnboardingRequest } from '../request.ts';
import type { DeclaredCall } from './calls.ts';
import type { Created } from './index.ts';

/** What every saga step (and its undo) gets from the state machine: the same shape for all, parsed. */
export interface StepInput {
  request: OnboardingRequest;
  plan: Plan;
  /** Forward results so far, keyed by step name (`$.created` in the state machine). */
  created: Created;
  /** The execution's ARN (`$$.Execution.Id`): the tag that proves what this execution created. */
  execution: string;
}

/** What a task's code is given: AWS behind domain verbs, the configuration, and a clock to wait on. */
export interface TaskDeps {
  iam: IamGateway;
  secrets: SecretStore;
  /** Proves that an event is the one its execution produced (a task trusts nothing it is sent). */
  executions: ExecutionVerifier;
  config: RuntimeConfig;
  sleep: (ms: number) => Promise<void>;
  /**
   * The ledger's approvals (where the function has the table): Plan reads a privileged request's
   * decision, AwaitApproval writes the pending approval.
   */
  approvals?: Pick<ApprovalStore, 'get' | 'recordPending'>;
}

export interface UndoResult {
  /**
   * undone: this execution's change is reverted; nothing: there was nothing of ours; kept: left on
   * purpose (it is not ours to remove, or others rely on it); unproven: something this execution may
   * have created but cannot prove is its own, left in place - the rollback is then incomplete, and the
   * detail says why.
   */
  status: 'undone' | 'nothing' | 'kept' | 'unproven';
  detail: string;
}

/** A task of the state machine that is not a saga step (ValidateRequest, Plan, ReportRollback). */
export interface TaskDeclaration<N extends string = string> {
  readonly name: N;
  readonly calls: readonly DeclaredCall[];
}

/**
 * A saga step: its forward action and its undo, written together, each with the AWS calls it makes.
 * The ASL's forward state is `name`, the rollback's is `Undo<name>`.
 */
export interface SagaStep<N extends string = string, R = unknown> {
  readonly name: N;
  /** Every AWS call `run` may make. */
  readonly calls: readonly DeclaredCall[];
  /** Every AWS call `undo` may make. */
  readonly undoCalls: readonly DeclaredCall[];
  /** The shape of `run`'s result: the next states read it from `$.created.<name>`, parsed by this. */
  readonly resultSchema: z.ZodMiniType<R>;
  run(input: StepInput, deps: TaskDeps): Promise<R>;
  /** Runs whether `run` succeeded, failed half-way or never ran: it undoes what it finds of this execution's. */
  undo(input: StepInput, deps: TaskDeps): Promise<UndoResult>;
}

/** Keeps the step's name as a literal type, so that `Created` knows each step's result. */
export const defineStep = <const N extends string, R>(step: SagaStep<N, R>): SagaStep<N, R> => step;
