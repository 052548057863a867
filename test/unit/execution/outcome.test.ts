import { describe, expect, it } from 'vitest';
import {
  createdOf,
  type ExecutionDescription,
  outcomeOf,
  parseCause,
  statusOf,
  summaryOf,
} from '../../../src/execution/outcome.ts';
import { history, T0 } from './history-events.ts';

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:iam-onboarding-prod:HR-7';

const described = (over: Partial<ExecutionDescription>): ExecutionDescription => ({
  executionArn: ARN,
  name: 'HR-7',
  status: 'RUNNING',
  startDate: new Date(T0),
  ...over,
});

const cleanRollback = {
  failedStep: 'CreateAccessKey',
  error: 'AccessDenied',
  message: 'CreateAccessKey alice: denied',
  rolledBack: [{ step: 'UndoCreateUser', detail: 'deleted user alice' }],
  kept: [{ step: 'UndoEnsureGroup', detail: 'group sre was not created by this execution' }],
  leftBehind: [],
};

const incompleteRollback = {
  failedStep: 'CreateAccessKey',
  error: 'AccessDenied',
  message: 'CreateAccessKey alice: denied',
  rolledBack: [],
  kept: [],
  leftBehind: [{ step: 'UndoCreateUser', error: 'ServiceFailure', message: 'DeleteUser alice: boom' }],
};

describe('the status words', () => {
  it.each([
    ['RUNNING', {}, 'running'],
    ['PENDING_REDRIVE', {}, 'running'],
    ['SUCCEEDED', {}, 'succeeded'],
    ['FAILED', { error: 'AccessDenied', cause: JSON.stringify(cleanRollback) }, 'rolled back'],
    [
      'FAILED',
      { error: 'RollbackIncomplete', cause: JSON.stringify(incompleteRollback) },
      'rollback incomplete',
    ],
    [
      'FAILED',
      { error: 'States.Runtime', cause: 'An error occurred while executing the state' },
      'rollback incomplete',
    ],
    ['ABORTED', {}, 'aborted'],
    ['TIMED_OUT', { error: 'States.Timeout' }, 'timed out'],
  ] as const)('words %s %j as %s', (status, ending, word) => {
    // Prepare
    const execution = { status, ...ending };

    // Act
    const said = statusOf(execution);

    // Assess
    expect(said).toBe(word);
  });
});

describe('the outcome of an execution', () => {
  it('tells a succeeded onboarding: when, how long, what was created', () => {
    // Prepare
    const h = history();
    const output = {
      requestId: 'HR-7',
      created: {
        CreateUser: {
          userName: 'alice',
          userArn: 'arn:aws:iam::123456789012:user/onboarded/alice',
          adopted: false,
        },
        CreateAccessKey: {
          accessKeyId: 'AKIAEXAMPLE000000001',
          secretArn:
            'arn:aws:secretsmanager:us-east-1:123456789012:secret:onboarding/alice/access-key-AbCdEf',
          secretName: 'onboarding/alice/access-key',
          skipped: false,
        },
      },
      plan: { user: { name: 'alice' } },
    };
    const execution = described({
      status: 'SUCCEEDED',
      stopDate: new Date(T0 + 2500),
      output: JSON.stringify(output),
    });
    const events = [
      h.started(0),
      h.entered('Pass', 'OnboardingSucceeded', 2400),
      h.exited('Pass', 'OnboardingSucceeded', 2401, output),
      h.event('ExecutionSucceeded', 2500),
    ];

    // Act
    const outcome = outcomeOf(execution, events);

    // Assess
    expect(outcome).toEqual({
      requestId: 'HR-7',
      executionArn: ARN,
      status: 'succeeded',
      startedAt: '2026-01-15T12:00:00.000Z',
      stoppedAt: '2026-01-15T12:00:02.500Z',
      durationMs: 2500,
      timeline: [
        {
          state: 'OnboardingSucceeded',
          status: 'succeeded',
          startedAt: '2026-01-15T12:00:02.400Z',
          durationMs: 1,
          attempts: 1,
        },
      ],
      created: {
        CreateUser: {
          userName: 'alice',
          userArn: 'arn:aws:iam::123456789012:user/onboarded/alice',
          adopted: false,
        },
        CreateAccessKey: {
          accessKeyId: 'AKIAEXAMPLE000000001',
          secretArn:
            'arn:aws:secretsmanager:us-east-1:123456789012:secret:onboarding/alice/access-key-AbCdEf',
          secretName: 'onboarding/alice/access-key',
          skipped: false,
        },
      },
    });
  });

  it('carries our rollback report as the failure of a rolled-back onboarding', () => {
    // Prepare
    const execution = described({
      status: 'FAILED',
      stopDate: new Date(T0 + 900),
      error: 'AccessDenied',
      cause: JSON.stringify(cleanRollback),
    });

    // Act
    const outcome = outcomeOf(execution, []);

    // Assess
    expect(outcome).toEqual({
      requestId: 'HR-7',
      executionArn: ARN,
      status: 'rolled back',
      startedAt: '2026-01-15T12:00:00.000Z',
      stoppedAt: '2026-01-15T12:00:00.900Z',
      durationMs: 900,
      timeline: [],
      failure: {
        failedStep: 'CreateAccessKey',
        error: 'AccessDenied',
        message: 'CreateAccessKey alice: denied',
        rolledBack: [{ step: 'UndoCreateUser', detail: 'deleted user alice' }],
        kept: [{ step: 'UndoEnsureGroup', detail: 'group sre was not created by this execution' }],
        leftBehind: [],
      },
    });
  });

  it('names what is left behind when the rollback is incomplete', () => {
    // Prepare
    const execution = described({
      status: 'FAILED',
      stopDate: new Date(T0 + 900),
      error: 'RollbackIncomplete',
      cause: JSON.stringify(incompleteRollback),
    });

    // Act
    const summary = summaryOf(execution);

    // Assess
    expect(summary.status).toBe('rollback incomplete');
    expect(summary.failure).toEqual({
      failedStep: 'CreateAccessKey',
      error: 'AccessDenied',
      message: 'CreateAccessKey alice: denied',
      rolledBack: [],
      kept: [],
      leftBehind: [{ step: 'UndoCreateUser', error: 'ServiceFailure', message: 'DeleteUser alice: boom' }],
    });
  });

  it('gives the error and message of a failure that is not our report', () => {
    // Prepare
    const notJson = described({
      status: 'FAILED',
      stopDate: new Date(T0 + 10),
      error: 'States.Runtime',
      cause: "An error occurred while executing the state 'Plan'",
    });
    const lambdaError = described({
      status: 'FAILED',
      stopDate: new Date(T0 + 10),
      error: 'Lambda.Unknown',
      cause: JSON.stringify({ errorType: 'Lambda.Unknown', errorMessage: 'The Lambda runtime exited' }),
    });

    // Act
    const failures = [summaryOf(notJson).failure, summaryOf(lambdaError).failure];

    // Assess
    expect(failures).toEqual([
      { error: 'States.Runtime', message: "An error occurred while executing the state 'Plan'" },
      { error: 'Lambda.Unknown', message: 'The Lambda runtime exited' },
    ]);
  });

  it('says that nothing was rolled back when an execution was aborted or timed out', () => {
    // Prepare
    const stopped = described({ status: 'ABORTED', stopDate: new Date(T0 + 50) });
    const cancelled = described({
      status: 'ABORTED',
      stopDate: new Date(T0 + 50),
      error: 'Cancelled',
      cause: 'ticket withdrawn',
    });
    const timedOut = described({ status: 'TIMED_OUT', stopDate: new Date(T0 + 3_600_000) });

    // Act
    const summaries = [summaryOf(stopped), summaryOf(cancelled), summaryOf(timedOut)];

    // Assess
    expect(summaries.map((s) => [s.status, s.failure])).toEqual([
      [
        'aborted',
        { error: 'ExecutionAborted', message: 'the execution was stopped before it ended; no rollback ran' },
      ],
      ['aborted', { error: 'Cancelled', message: 'ticket withdrawn' }],
      [
        'timed out',
        {
          error: 'States.Timeout',
          message: 'the execution ran out of time before it ended; no rollback ran',
        },
      ],
    ]);
    expect(summaries[2]?.durationMs).toBe(3_600_000);
  });

  it('tells a running onboarding without an end, a duration or a failure', () => {
    // Prepare
    const h = history();
    const execution = described({ name: undefined });
    const events = [h.started(0), h.entered('Task', 'Plan', 3), ...h.scheduled(3)];

    // Act
    const outcome = outcomeOf(execution, events);

    // Assess
    expect(outcome).toEqual({
      requestId: 'HR-7',
      executionArn: ARN,
      status: 'running',
      startedAt: '2026-01-15T12:00:00.000Z',
      timeline: [{ state: 'Plan', status: 'running', startedAt: '2026-01-15T12:00:00.003Z', attempts: 1 }],
    });
  });
});

describe('what was created and the cause', () => {
  it("reads `created` from the execution's output, and nothing from an output without it", () => {
    // Prepare
    const outputs = [
      '{"created":{"EnsureGroup":{"groupName":"sre","created":true}},"plan":{}}',
      '{"plan":{}}',
      'not json',
      undefined,
    ];

    // Act
    const created = outputs.map(createdOf);

    // Assess
    expect(created).toEqual([
      { EnsureGroup: { groupName: 'sre', created: true } },
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('takes only our own report for a rollback report', () => {
    // Prepare
    const causes = [
      JSON.stringify(cleanRollback),
      '{"failedStep":"Plan"}',
      '{"errorType":"Error","errorMessage":"x"}',
      'plain text',
      undefined,
    ];

    // Act
    const parsed = causes.map(parseCause);

    // Assess
    expect(parsed).toEqual([cleanRollback, undefined, undefined, undefined, undefined]);
  });
});
