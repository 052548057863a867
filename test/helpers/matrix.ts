import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import type { LambdaFault } from '../../src/local/runner.ts';
import {
  type AwsAction,
  type CallCondition,
  describeCondition,
  isRead,
  serviceOf,
  verbOf,
} from '../../src/steps/calls.ts';
import { SAGA_STEPS, TASKS, type TaskInfo } from '../../src/steps/index.ts';

/**
 * The fault matrix's cells, derived from what each task declares: every declared call of every task x
 * every call fault, and every Task x every Lambda fault. Nothing here lists a step or a call by hand,
 * so a new step or call is in the matrix as soon as it is declared.
 */

export type Outcome = 'succeeded' | 'rolled back' | 'rollback incomplete';

export interface CallFault {
  name: string;
  recoverable: boolean;
  spec: (action: string, service: string, caller: string) => FaultSpec;
}

export const CALL_FAULTS: readonly CallFault[] = [
  {
    name: 'throttled twice',
    recoverable: true,
    spec: (action, service, caller) => ({
      action,
      service,
      caller,
      kind: 'error',
      error: 'Throttling',
      count: 2,
    }),
  },
  {
    name: '5xx twice',
    recoverable: true,
    spec: (action, service, caller) => ({
      action,
      service,
      caller,
      kind: 'error',
      error: 'ServiceFailure',
      count: 2,
    }),
  },
  {
    name: '5xx forever',
    recoverable: false,
    spec: (action, service, caller) => ({
      action,
      service,
      caller,
      kind: 'error',
      error: 'ServiceFailure',
      count: 'always',
    }),
  },
  {
    name: 'AccessDenied',
    recoverable: false,
    spec: (action, service, caller) => ({
      action,
      service,
      caller,
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    }),
  },
  {
    name: 'answer lost',
    recoverable: true,
    spec: (action, service, caller) => ({ action, service, caller, kind: 'lost-response', count: 1 }),
  },
];

export interface LambdaFaultKind {
  name: string;
  fault: (state: string) => LambdaFault;
}

export const LAMBDA_FAULTS: readonly LambdaFaultKind[] = [
  { name: 'Lambda crash after', fault: (state) => ({ state, when: 'after', kind: 'crash', count: 1 }) },
  { name: 'Lambda timeout after', fault: (state) => ({ state, when: 'after', kind: 'timeout', count: 1 }) },
];

export interface Cell {
  /** The Task state whose function is faulted (faults are scoped to that function's caller). */
  state: string;
  phase: TaskInfo['phase'];
  /** The declared call that is broken, or undefined for a Lambda fault. */
  call?: AwsAction;
  when?: CallCondition;
  fault: string;
  recoverable: boolean;
  callFault?: CallFault;
  lambdaFault?: LambdaFaultKind;
  /** A forward cell whose fault is followed by a failure for good of the last step (a double fault). */
  laterFailure?: true;
  expected: Outcome;
}

/** The rule each cell is held to, written once. */
export function expectedOutcome(phase: TaskInfo['phase'], recoverable: boolean): Outcome {
  if (phase === 'prepare' || phase === 'forward') return recoverable ? 'succeeded' : 'rolled back';
  // A fault in the rollback (or the report after it): recovered, the rollback is clean; else incomplete.
  return recoverable ? 'rolled back' : 'rollback incomplete';
}

export function matrixCells(): Cell[] {
  const cells: Cell[] = [];
  for (const task of TASKS) {
    for (const declared of task.calls) {
      for (const fault of CALL_FAULTS) {
        // A confirming read that fails for good is recovered by the task's retry (see DeclaredCall).
        const recovered = fault.recoverable || declared.confirms === true;
        cells.push({
          state: task.state,
          phase: task.phase,
          call: declared.action,
          ...(declared.when ? { when: declared.when } : {}),
          fault: fault.name,
          recoverable: fault.recoverable,
          callFault: fault,
          // An unproven group is left behind (and says so) whether or not its read recovers.
          expected:
            declared.when === 'unproven-group'
              ? 'rollback incomplete'
              : expectedOutcome(task.phase, recovered),
        });
      }
    }
    for (const fault of LAMBDA_FAULTS) {
      cells.push({
        state: task.state,
        phase: task.phase,
        fault: fault.name,
        recoverable: true,
        lambdaFault: fault,
        expected: expectedOutcome(task.phase, true),
      });
    }
  }
  return [...cells, ...doubleFaultCells()];
}

export const LATER_FAILURE = ' + later failure';

/**
 * A lost answer (or a Lambda death right after the call) that the forward step recovers from, then a
 * failure for good of the last step: the rollback must find what the recovered step made and undo it -
 * proven by a tag - or, where nothing can prove it ours (a call declared `unprovable`), leave it and
 * say so: rollback incomplete, never a clean failure.
 */
function doubleFaultCells(): Cell[] {
  const trigger = rollbackTrigger();
  const lost = CALL_FAULTS.find((f) => f.name === 'answer lost');
  if (!lost) throw new Error('no "answer lost" call fault');
  const cells: Cell[] = [];
  for (const step of SAGA_STEPS.filter((s) => s.name !== trigger.state)) {
    const expected = (unprovable: boolean): Outcome => (unprovable ? 'rollback incomplete' : 'rolled back');
    for (const declared of step.calls.filter((c) => !isRead(c.action) && !c.when)) {
      cells.push({
        state: step.name,
        phase: 'forward',
        call: declared.action,
        fault: `${lost.name}${LATER_FAILURE}`,
        recoverable: false,
        callFault: lost,
        laterFailure: true,
        expected: expected(declared.unprovable === true),
      });
    }
    const crash = LAMBDA_FAULTS[0];
    if (!crash) throw new Error('no Lambda fault');
    cells.push({
      state: step.name,
      phase: 'forward',
      fault: `${crash.name}${LATER_FAILURE}`,
      recoverable: false,
      lambdaFault: crash,
      laterFailure: true,
      expected: expected(step.calls.some((c) => c.unprovable)),
    });
  }
  return cells;
}

/**
 * What makes the rollback happen in a cell of the rollback: the last forward step's last mutating call,
 * denied for good, after everything else was created.
 */
export function rollbackTrigger(): { state: string; action: AwsAction } {
  const last = SAGA_STEPS[SAGA_STEPS.length - 1];
  const action = last?.calls.filter((c) => !isRead(c.action) && !c.when).at(-1)?.action;
  if (!last || !action) throw new Error('the last saga step declares no unconditional mutating call');
  return { state: last.name, action };
}

export const cellName = (c: Cell) =>
  c.call
    ? `${c.state} ${verbOf(c.call)}${c.when ? ` (${describeCondition(c.when)})` : ''} x ${c.fault}`
    : `${c.state} x ${c.fault}`;

export { serviceOf, verbOf };
