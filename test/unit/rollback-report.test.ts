import { describe, expect, it } from 'vitest';
import { type FailureCause, messageOf, NOT_PROVEN_OURS, reportRollback } from '../../src/rollback-report.ts';

// The oracle is written out here, not derived from SAGA_STEPS: a reordered saga must fail these tests.
const STEPS = [
  'CreateUser',
  'EnsureGroup',
  'AddUserToGroup',
  'AttachGroupPolicies',
  'AttachUserPolicies',
  'EnsureServiceLinkedRoles',
  'CreateLoginProfile',
  'CreateAccessKey',
] as const;

const RAW_INPUT = { requestId: 'HR-7', userName: 'grace', profile: 'developers' };
const REQUEST = { ...RAW_INPUT, policyArns: [], tags: {} };
const PLAN = { user: { name: 'grace' } };

/** A Lambda error as the Catch records it: the Cause is the JSON Lambda writes. */
const lambdaError = (name: string, errorMessage: string) => ({
  Error: name,
  Cause: JSON.stringify({ errorType: name, errorMessage, trace: ['at somewhere'] }),
});

const causeOf = (outcome: { cause: string }) => JSON.parse(outcome.cause) as FailureCause;

/** The state after ValidateRequest, Plan and the steps before `failed` succeeded. */
type Rollback = NonNullable<Parameters<typeof reportRollback>[0]['rollback']>;

function failedAt(failed: (typeof STEPS)[number], rollback: Rollback = {}) {
  const created = Object.fromEntries(STEPS.slice(0, STEPS.indexOf(failed)).map((s) => [s, { ok: s }]));
  return {
    request: REQUEST,
    plan: PLAN,
    created,
    rollback,
    failure: lambdaError('AccessDenied', `${failed}: denied`),
  };
}

describe('the failed step', () => {
  it('is ValidateRequest when the state is still the raw input', () => {
    // Prepare
    const state = { ...RAW_INPUT, failure: lambdaError('InvalidRequest', 'invalid onboarding request') };
    // Act
    const cause = causeOf(reportRollback(state, RAW_INPUT));
    // Assess
    expect(cause.failedStep).toBe('ValidateRequest');
    expect(cause.error).toBe('InvalidRequest');
  });

  it.each([
    ['a request member', { ...RAW_INPUT, request: { requestId: 'HR-7' } }],
    ['request and plan members', { ...RAW_INPUT, request: REQUEST, plan: PLAN }],
    ['only what a validated state carries', { request: REQUEST, created: {}, rollback: {} }],
  ])('is ValidateRequest when the raw input happens to have %s', (_, raw) => {
    const state = { ...raw, failure: lambdaError('InvalidRequest', 'invalid onboarding request') };
    expect(causeOf(reportRollback(state, raw)).failedStep).toBe('ValidateRequest');
  });

  it('is ValidateRequest when the raw input carried a failure member the Catch overwrote', () => {
    const raw = { ...RAW_INPUT, request: REQUEST, failure: 'forged' };
    const state = { ...raw, failure: lambdaError('InvalidRequest', 'bad') };
    expect(causeOf(reportRollback(state, raw)).failedStep).toBe('ValidateRequest');
  });

  it('is Plan when the request was validated but there is no plan', () => {
    const state = {
      request: REQUEST,
      created: {},
      rollback: {},
      failure: lambdaError('UserAlreadyExists', 'x'),
    };
    expect(causeOf(reportRollback(state, RAW_INPUT)).failedStep).toBe('Plan');
  });

  it('is Plan when the validated request equals a raw input that was a request itself', () => {
    // A valid raw input is replaced by { request, created, rollback }: it never looks like the raw input.
    const state = {
      request: REQUEST,
      created: {},
      rollback: {},
      failure: lambdaError('PolicyNotFound', 'x'),
    };
    expect(causeOf(reportRollback(state, REQUEST)).failedStep).toBe('Plan');
  });

  it.each(STEPS)('is %s when every step before it recorded its result', (step) => {
    expect(causeOf(reportRollback(failedAt(step), RAW_INPUT)).failedStep).toBe(step);
  });

  it('keeps the original error and the message from the Lambda Cause', () => {
    const outcome = reportRollback(failedAt('EnsureGroup'), RAW_INPUT);
    expect(outcome.error).toBe('AccessDenied');
    expect(causeOf(outcome)).toMatchObject({ error: 'AccessDenied', message: 'EnsureGroup: denied' });
  });

  it('says UnknownError, with an empty message, when the state carries no failure', () => {
    const outcome = reportRollback({ request: REQUEST, plan: PLAN, created: {} }, RAW_INPUT);
    expect(outcome.error).toBe('UnknownError');
    expect(causeOf(outcome).message).toBe('');
  });
});

describe('what the rollback did', () => {
  it('lists what was undone and what was kept, in rollback order, and nothing for "nothing"', () => {
    // Prepare
    const state = failedAt('CreateAccessKey', {
      UndoCreateUser: { status: 'undone', detail: 'deleted user grace' },
      UndoEnsureGroup: { status: 'kept', detail: 'group developers existed before' },
      UndoAddUserToGroup: { status: 'undone', detail: 'removed grace from developers' },
      UndoCreateAccessKey: { status: 'nothing', detail: 'no key of ours' },
    });
    // Act
    const outcome = reportRollback(state, RAW_INPUT);
    // Assess
    expect(outcome.incomplete).toBe(false);
    expect(causeOf(outcome)).toEqual({
      failedStep: 'CreateAccessKey',
      error: 'AccessDenied',
      message: 'CreateAccessKey: denied',
      rolledBack: [
        { step: 'UndoAddUserToGroup', detail: 'removed grace from developers' },
        { step: 'UndoCreateUser', detail: 'deleted user grace' },
      ],
      kept: [{ step: 'UndoEnsureGroup', detail: 'group developers existed before' }],
      leftBehind: [],
    });
  });

  it('ignores rollback members that are not undo states', () => {
    const state = failedAt('CreateUser', { SomethingElse: { status: 'undone', detail: 'x' } });
    expect(causeOf(reportRollback(state, RAW_INPUT)).rolledBack).toEqual([]);
  });

  it('reports a clean rollback with nothing to undo (a failure before any write)', () => {
    const state = { request: REQUEST, created: {}, rollback: {}, failure: lambdaError('Throttling', 'x') };
    const outcome = reportRollback(state, RAW_INPUT);
    expect(outcome.incomplete).toBe(false);
    expect(causeOf(outcome)).toMatchObject({ rolledBack: [], kept: [], leftBehind: [] });
  });
});

describe('an incomplete rollback', () => {
  it('names the undo that failed and exactly what it left, while the other undos still count', () => {
    // Prepare
    const state = failedAt('AttachGroupPolicies', {
      UndoAttachGroupPolicies: { status: 'undone', detail: 'detached ReadOnlyAccess' },
      UndoAddUserToGroup: { status: 'undone', detail: 'removed grace from developers' },
      UndoEnsureGroup: { status: 'undone', detail: 'deleted group developers' },
      UndoCreateUser: lambdaError('ServiceFailure', 'DeleteUser grace: internal error'),
    });
    // Act
    const outcome = reportRollback(state, RAW_INPUT);
    // Assess
    expect(outcome.incomplete).toBe(true);
    expect(outcome.error).toBe('AccessDenied');
    const cause = causeOf(outcome);
    expect(cause.failedStep).toBe('AttachGroupPolicies');
    expect(cause.leftBehind).toEqual([
      { step: 'UndoCreateUser', error: 'ServiceFailure', message: 'DeleteUser grace: internal error' },
    ]);
    expect(cause.rolledBack.map((r) => r.step)).toEqual([
      'UndoAttachGroupPolicies',
      'UndoAddUserToGroup',
      'UndoEnsureGroup',
    ]);
  });

  it('counts a resource it cannot prove its own as left behind, with the reason, never as clean', () => {
    const detail =
      'group developers is empty and was absent at plan time, but CreateGroup answered "already exists"';
    const state = failedAt('CreateAccessKey', {
      UndoAddUserToGroup: { status: 'undone', detail: 'removed grace from developers' },
      UndoEnsureGroup: { status: 'unproven', detail },
      UndoCreateUser: { status: 'undone', detail: 'deleted user grace' },
    });
    const outcome = reportRollback(state, RAW_INPUT);
    expect(outcome.incomplete).toBe(true);
    expect(outcome.error).toBe('AccessDenied');
    expect(causeOf(outcome).leftBehind).toEqual([
      { step: 'UndoEnsureGroup', error: NOT_PROVEN_OURS, message: detail },
    ]);
    expect(causeOf(outcome).rolledBack.map((r) => r.step)).toEqual(['UndoAddUserToGroup', 'UndoCreateUser']);
  });

  it('lists every undo that failed, in rollback order', () => {
    const state = failedAt('CreateAccessKey', {
      UndoCreateUser: lambdaError('AccessDenied', 'DeleteUser grace: denied'),
      UndoCreateAccessKey: { Error: 'States.Timeout', Cause: 'Task timed out after 60 seconds' },
    });
    expect(causeOf(reportRollback(state, RAW_INPUT)).leftBehind).toEqual([
      { step: 'UndoCreateAccessKey', error: 'States.Timeout', message: 'Task timed out after 60 seconds' },
      { step: 'UndoCreateUser', error: 'AccessDenied', message: 'DeleteUser grace: denied' },
    ]);
  });
});

describe('messageOf', () => {
  it.each([
    ['a Lambda Cause', JSON.stringify({ errorType: 'X', errorMessage: 'the message' }), 'the message'],
    ['plain text', 'Task timed out', 'Task timed out'],
    ['JSON without errorMessage', '{"reason":"x"}', '{"reason":"x"}'],
    ['JSON whose errorMessage is not text', '{"errorMessage":42}', '{"errorMessage":42}'],
    ['nothing', undefined, ''],
    ['an empty cause', '', ''],
  ])('reads %s', (_, cause, message) => {
    expect(messageOf(cause)).toBe(message);
  });
});
