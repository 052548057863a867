import { describe, expect, it } from 'vitest';
import { TimelineBuilder, type TimelineChange, timelineOf } from '../../../src/execution/timeline.ts';
import { historyOf } from '../../../src/local/history.ts';
import type { TimelineEvent } from '../../../src/local/runner.ts';
import { history } from './history-events.ts';

describe('the step timeline of an execution history', () => {
  it('counts every attempt of a retried step and keeps the last error it recovered from', () => {
    // Prepare
    const h = history();
    const events = [
      h.started(0),
      h.entered('Task', 'CreateUser', 10),
      ...h.scheduled(10),
      h.lambdaFailed(20, 'Throttling', h.lambdaCause('Throttling', 'Rate exceeded')),
      ...h.scheduled(1020),
      h.lambdaFailed(1030, 'ServiceFailure', h.lambdaCause('ServiceFailure', 'IAM is unwell')),
      ...h.scheduled(3030),
      h.lambdaSucceeded(3040),
      h.exited('Task', 'CreateUser', 3045, {
        created: { CreateUser: { userName: 'alice', adopted: false } },
      }),
    ];
    const changes: TimelineChange[] = [];

    // Act
    const steps = new TimelineBuilder((c) => changes.push(c)).addAll(events).steps;

    // Assess
    expect(steps).toEqual([
      {
        state: 'CreateUser',
        status: 'succeeded',
        startedAt: '2026-01-15T12:00:00.010Z',
        durationMs: 3035,
        attempts: 3,
        error: 'ServiceFailure',
        message: 'IAM is unwell',
      },
    ]);
    expect(changes).toEqual([
      { kind: 'retried', state: 'CreateUser', retry: 1, error: 'Throttling', message: 'Rate exceeded' },
      { kind: 'retried', state: 'CreateUser', retry: 2, error: 'ServiceFailure', message: 'IAM is unwell' },
      {
        kind: 'ended',
        stateType: 'Task',
        step: {
          state: 'CreateUser',
          status: 'succeeded',
          startedAt: '2026-01-15T12:00:00.010Z',
          durationMs: 3035,
          attempts: 3,
          error: 'ServiceFailure',
          message: 'IAM is unwell',
        },
      },
    ]);
  });

  it('counts a Lambda that timed out as a failed attempt', () => {
    // Prepare
    const h = history();
    const events = [
      h.entered('Task', 'AttachGroupPolicies', 0),
      ...h.scheduled(0),
      h.lambdaTimedOut(60_000),
      ...h.scheduled(62_000),
      h.lambdaSucceeded(62_100),
      h.exited('Task', 'AttachGroupPolicies', 62_100),
    ];

    // Act
    const steps = timelineOf(events);

    // Assess
    expect(steps).toEqual([
      {
        state: 'AttachGroupPolicies',
        status: 'succeeded',
        startedAt: '2026-01-15T12:00:00.000Z',
        durationMs: 62_100,
        attempts: 2,
        error: 'States.Timeout',
        message: 'Task timed out',
      },
    ]);
  });

  it('marks a step whose failure was caught into the rollback as failed, with its error and message', () => {
    // Prepare
    const h = history();
    const events = [
      h.entered('Task', 'CreateAccessKey', 0),
      ...h.scheduled(0),
      h.lambdaFailed(15, 'AccessDenied', h.lambdaCause('AccessDenied', 'CreateAccessKey alice: denied')),
      h.exited('Task', 'CreateAccessKey', 16, { failure: { Error: 'AccessDenied' } }),
    ];

    // Act
    const steps = timelineOf(events);

    // Assess
    expect(steps).toEqual([
      {
        state: 'CreateAccessKey',
        status: 'failed',
        startedAt: '2026-01-15T12:00:00.000Z',
        durationMs: 16,
        attempts: 1,
        error: 'AccessDenied',
        message: 'CreateAccessKey alice: denied',
      },
    ]);
  });

  it("shows the rollback: each undo's result, a failed undo, the report, and the Fail state that ends it", () => {
    // Prepare
    const h = history();
    const events = [
      h.entered('Task', 'UndoEnsureGroup', 100),
      ...h.scheduled(100),
      h.lambdaSucceeded(110),
      h.exited('Task', 'UndoEnsureGroup', 110, {
        rollback: { UndoEnsureGroup: { status: 'kept', detail: 'group sre kept: it has other members' } },
      }),
      h.entered('Task', 'UndoCreateUser', 111),
      ...h.scheduled(111),
      h.lambdaFailed(120, 'ServiceFailure', 'DeleteUser alice: boom'),
      ...h.scheduled(220),
      h.lambdaFailed(230, 'ServiceFailure', 'DeleteUser alice: boom again'),
      h.exited('Task', 'UndoCreateUser', 231, {
        rollback: { UndoCreateUser: { Error: 'ServiceFailure', Cause: 'DeleteUser alice: boom again' } },
      }),
      h.entered('Task', 'ReportRollback', 232),
      ...h.scheduled(232),
      h.lambdaSucceeded(233),
      h.exited('Task', 'ReportRollback', 233),
      h.entered('Choice', 'CheckRollback', 234),
      h.exited('Choice', 'CheckRollback', 234),
      h.entered('Fail', 'RollbackIncomplete', 235),
      h.event('ExecutionFailed', 236, {
        executionFailedEventDetails: { error: 'RollbackIncomplete', cause: '{"failedStep":"EnsureGroup"}' },
      }),
    ];

    // Act
    const steps = timelineOf(events);

    // Assess
    expect(steps).toEqual([
      {
        state: 'UndoEnsureGroup',
        status: 'succeeded',
        startedAt: '2026-01-15T12:00:00.100Z',
        durationMs: 10,
        attempts: 1,
        detail: 'kept: group sre kept: it has other members',
      },
      {
        state: 'UndoCreateUser',
        status: 'failed',
        startedAt: '2026-01-15T12:00:00.111Z',
        durationMs: 120,
        attempts: 2,
        error: 'ServiceFailure',
        message: 'DeleteUser alice: boom again',
      },
      {
        state: 'ReportRollback',
        status: 'succeeded',
        startedAt: '2026-01-15T12:00:00.232Z',
        durationMs: 1,
        attempts: 1,
      },
      {
        state: 'CheckRollback',
        status: 'succeeded',
        startedAt: '2026-01-15T12:00:00.234Z',
        durationMs: 0,
        attempts: 1,
      },
      {
        state: 'RollbackIncomplete',
        status: 'failed',
        startedAt: '2026-01-15T12:00:00.235Z',
        durationMs: 1,
        attempts: 1,
        error: 'RollbackIncomplete',
      },
    ]);
  });

  it('says when CreateUser adopted its own user after a lost answer', () => {
    // Prepare
    const h = history();
    const events = [
      h.entered('Task', 'CreateUser', 0),
      ...h.scheduled(0),
      h.lambdaSucceeded(40),
      h.exited('Task', 'CreateUser', 40, { created: { CreateUser: { userName: 'alice', adopted: true } } }),
    ];

    // Act
    const [step] = timelineOf(events);

    // Assess
    expect(step?.detail).toBe('adopted by its tag: the first answer was lost');
  });

  it('marks the step an abort interrupted as stopped', () => {
    // Prepare
    const h = history();
    const events = [
      h.started(0),
      h.entered('Task', 'CreateUser', 5),
      ...h.scheduled(5),
      h.event('ExecutionAborted', 505, {
        executionAbortedEventDetails: { error: 'Cancelled', cause: 'ticket withdrawn' },
      }),
    ];
    const changes: TimelineChange[] = [];

    // Act
    const steps = new TimelineBuilder((c) => changes.push(c)).addAll(events).steps;

    // Assess
    expect(steps).toEqual([
      {
        state: 'CreateUser',
        status: 'stopped',
        startedAt: '2026-01-15T12:00:00.005Z',
        durationMs: 500,
        attempts: 1,
      },
    ]);
    expect(changes.map((c) => c.kind)).toEqual(['ended']);
  });

  it('leaves the step of a running execution running, without a duration', () => {
    // Prepare
    const h = history();
    const events = [
      h.started(0),
      h.entered('Task', 'ValidateRequest', 1),
      ...h.scheduled(1),
      h.lambdaSucceeded(4),
      h.exited('Task', 'ValidateRequest', 4, { request: {} }),
      h.entered('Task', 'Plan', 5),
      ...h.scheduled(5),
    ];
    const changes: TimelineChange[] = [];

    // Act
    const steps = new TimelineBuilder((c) => changes.push(c)).addAll(events).steps;

    // Assess
    expect(steps).toEqual([
      {
        state: 'ValidateRequest',
        status: 'succeeded',
        startedAt: '2026-01-15T12:00:00.001Z',
        durationMs: 3,
        attempts: 1,
      },
      { state: 'Plan', status: 'running', startedAt: '2026-01-15T12:00:00.005Z', attempts: 1 },
    ]);
    expect(changes).toHaveLength(1);
  });

  it('marks a Task whose error nothing caught as failed when the execution fails', () => {
    // Prepare
    const h = history();
    const events = [
      h.entered('Task', 'ReportRollback', 0),
      ...h.scheduled(0),
      h.lambdaFailed(3, 'Lambda.Unknown', 'The Lambda runtime exited unexpectedly'),
      h.event('ExecutionFailed', 4, {
        executionFailedEventDetails: { error: 'Lambda.Unknown', cause: 'The Lambda runtime exited' },
      }),
    ];

    // Act
    const steps = timelineOf(events);

    // Assess
    expect(steps).toEqual([
      {
        state: 'ReportRollback',
        status: 'failed',
        startedAt: '2026-01-15T12:00:00.000Z',
        durationMs: 4,
        attempts: 1,
        error: 'Lambda.Unknown',
        message: 'The Lambda runtime exited unexpectedly',
      },
    ]);
  });

  it("reads the local runner's event log through its conversion to Step Functions history", () => {
    // Prepare
    const log: TimelineEvent[] = [
      { type: 'ExecutionStarted', at: 1000 },
      { type: 'StateEntered', at: 1001, state: 'CreateUser', stateType: 'Task', data: {} },
      {
        type: 'StateFailed',
        at: 1002,
        state: 'CreateUser',
        stateType: 'Task',
        error: 'Throttling',
        cause: JSON.stringify({ errorType: 'Throttling', errorMessage: 'slow down' }),
      },
      { type: 'StateRetried', at: 1003, state: 'CreateUser', stateType: 'Task', attempt: 1 },
      {
        type: 'StateExited',
        at: 1010,
        state: 'CreateUser',
        stateType: 'Task',
        data: { created: { CreateUser: { adopted: true } } },
      },
      { type: 'StateEntered', at: 1011, state: 'OnboardingSucceeded', stateType: 'Pass', data: {} },
      { type: 'StateExited', at: 1012, state: 'OnboardingSucceeded', stateType: 'Pass', data: {} },
      { type: 'ExecutionSucceeded', at: 1013, data: {} },
    ];

    // Act
    const steps = timelineOf(historyOf({ input: '{}', events: log }));

    // Assess
    expect(steps).toEqual([
      {
        state: 'CreateUser',
        status: 'succeeded',
        startedAt: '1970-01-01T00:00:01.001Z',
        durationMs: 9,
        attempts: 2,
        error: 'Throttling',
        message: 'slow down',
        detail: 'adopted by its tag: the first answer was lost',
      },
      {
        state: 'OnboardingSucceeded',
        status: 'succeeded',
        startedAt: '1970-01-01T00:00:01.011Z',
        durationMs: 1,
        attempts: 1,
      },
    ]);
  });
});
