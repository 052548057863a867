import type { FailureCause } from '../rollback-report.ts';
import type { ExecutionView, HistoryView } from './executions.ts';

/**
 * How an onboarding is going, in the words a ticket wants: running, succeeded, rolled back, rollback
 * incomplete; a step timeline from the execution history; what was created (references only).
 */

export type OnboardingStatus =
  | 'running'
  | 'succeeded'
  | 'rolled back'
  | 'rollback incomplete'
  | 'aborted'
  | 'timed out';

export interface TimelineStep {
  state: string;
  status: 'succeeded' | 'failed' | 'running';
  startedAt: string;
  durationMs?: number;
  attempts: number;
  error?: string;
}

export interface OnboardingReport {
  requestId: string;
  executionArn: string;
  status: OnboardingStatus;
  startedAt?: string;
  stoppedAt?: string;
  timeline: TimelineStep[];
  created?: unknown;
  failure?: FailureCause | { error: string; message: string };
}

export function statusOf(execution: ExecutionView): OnboardingStatus {
  switch (execution.status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return 'running';
    case 'SUCCEEDED':
      return 'succeeded';
    case 'ABORTED':
      return 'aborted';
    case 'TIMED_OUT':
      return 'timed out';
    default:
      return execution.error === 'RollbackIncomplete' ? 'rollback incomplete' : 'rolled back';
  }
}

export function timelineOf(history: HistoryView[]): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const open = new Map<string, TimelineStep>();
  let current: string | undefined;
  for (const e of history) {
    if (e.type.endsWith('StateEntered') && e.state) {
      const step: TimelineStep = {
        state: e.state,
        status: 'running',
        startedAt: e.timestamp.toISOString(),
        attempts: 0,
      };
      steps.push(step);
      open.set(e.state, step);
      current = e.state;
    } else if (e.type === 'LambdaFunctionScheduled' && current) {
      const step = open.get(current);
      if (step) step.attempts++;
    } else if (e.type === 'LambdaFunctionFailed' && current) {
      const step = open.get(current);
      if (step && e.error) step.error = e.error;
    } else if (e.type.endsWith('StateExited') && e.state) {
      const step = open.get(e.state);
      if (step) {
        step.durationMs = e.timestamp.getTime() - new Date(step.startedAt).getTime();
        // A Task caught into the rollback still "exits": its last attempt's error says it failed.
        step.status = step.error && !e.state.startsWith('Undo') ? 'failed' : 'succeeded';
        if (step.status === 'succeeded' && step.attempts <= 1) delete step.error;
        open.delete(e.state);
      }
    } else if (e.type === 'ExecutionFailed' && current) {
      const step = open.get(current);
      if (step) step.status = 'failed';
    }
  }
  return steps;
}

function parseCause(cause: string | undefined): FailureCause | undefined {
  try {
    const parsed = JSON.parse(cause ?? '') as FailureCause;
    return parsed && typeof parsed === 'object' && 'failedStep' in parsed ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function reportOf(
  requestId: string,
  execution: ExecutionView,
  history: HistoryView[],
): OnboardingReport {
  const status = statusOf(execution);
  let created: unknown;
  if (execution.output) {
    try {
      created = (JSON.parse(execution.output) as { created?: unknown }).created;
    } catch {
      created = undefined;
    }
  }
  const failure =
    execution.error !== undefined
      ? (parseCause(execution.cause) ?? { error: execution.error, message: execution.cause ?? '' })
      : undefined;
  return {
    requestId,
    executionArn: execution.executionArn,
    status,
    ...(execution.startDate ? { startedAt: execution.startDate.toISOString() } : {}),
    ...(execution.stopDate ? { stoppedAt: execution.stopDate.toISOString() } : {}),
    timeline: timelineOf(history),
    ...(created !== undefined ? { created } : {}),
    ...(failure ? { failure } : {}),
  };
}
