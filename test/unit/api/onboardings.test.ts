import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ApiSecrets,
  MissingSecretError,
  SdkSecretReader,
  secretIdsFrom,
} from '../../../src/api/credentials.ts';
import { canonicalJson, RequestIdConflictError, SfnOnboardings } from '../../../src/api/onboardings.ts';
import { ThrottlingError } from '../../../src/errors.ts';
import { config } from './fakes.ts';

const sfnMock = mockClient(SFNClient);
const smMock = mockClient(SecretsManagerClient);
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:iam-onboarding-prod';
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:iam-onboarding-prod:HR-1';
const INPUT = JSON.stringify({ requestId: 'HR-1', userName: 'alice', tags: { a: '1', b: '2' } });

beforeEach(() => {
  sfnMock.reset();
  smMock.reset();
});

const onboardings = () => new SfnOnboardings(new SFNClient({ region: 'us-east-1' }), MACHINE);
const alreadyExists = () =>
  new ExecutionAlreadyExists({ message: `Execution Already Exists: '${ARN}'`, $metadata: {} });

const ARN_OF = (name: string) =>
  `arn:aws:states:us-east-1:123456789012:execution:iam-onboarding-prod:${name}`;
const notFound = () => new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
const T = new Date('2026-01-15T12:00:00Z');
const rolledBack = JSON.stringify({
  failedStep: 'CreateAccessKey',
  error: 'AccessDenied',
  message: 'denied',
  rolledBack: [{ step: 'UndoCreateUser', detail: 'deleted user alice' }],
  kept: [],
  leftBehind: [],
});

/** Step Functions with these executions by name; every other name does not exist. */
function executions(byName: Record<string, Record<string, unknown>>) {
  sfnMock.on(DescribeExecutionCommand).rejects(notFound());
  for (const [name, execution] of Object.entries(byName)) {
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: ARN_OF(name) })
      .resolves({ executionArn: ARN_OF(name), name, startDate: T, ...execution });
  }
}

describe('starting an onboarding through Step Functions', () => {
  it('starts an execution named by the request id', async () => {
    executions({});
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: ARN, startDate: T });
    expect(await onboardings().start('HR-1', INPUT)).toEqual({
      executionArn: ARN,
      startDate: T,
      attempt: 1,
      started: true,
      previousAttempts: [],
    });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: 'HR-1',
      input: INPUT,
    });
  });

  it('answers the execution already there when a finished one had the same request (keys in any order)', async () => {
    const reordered = JSON.stringify({ tags: { b: '2', a: '1' }, userName: 'alice', requestId: 'HR-1' });
    executions({ 'HR-1': { input: reordered, status: 'SUCCEEDED' } });
    expect(await onboardings().start('HR-1', INPUT)).toMatchObject({
      executionArn: ARN,
      attempt: 1,
      started: false,
    });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('refuses the request id when it started a different request', async () => {
    executions({ 'HR-1': { input: '{"requestId":"HR-1","userName":"bob"}', status: 'RUNNING' } });
    await expect(onboardings().start('HR-1', INPUT)).rejects.toBeInstanceOf(RequestIdConflictError);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts attempt 2 (HR-1-2) when the last one rolled back cleanly, linking the one before', async () => {
    executions({
      'HR-1': { input: INPUT, status: 'FAILED', error: 'AccessDenied', cause: rolledBack, stopDate: T },
    });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: ARN_OF('HR-1-2'), startDate: T });
    expect(await onboardings().start('HR-1', INPUT)).toEqual({
      executionArn: ARN_OF('HR-1-2'),
      startDate: T,
      attempt: 2,
      started: true,
      previousAttempts: [
        {
          attempt: 1,
          executionArn: ARN,
          status: 'FAILED',
          error: 'AccessDenied',
          startedAt: T.toISOString(),
          stoppedAt: T.toISOString(),
        },
      ],
    });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { name: 'HR-1-2', input: INPUT });
  });

  it.each([
    ['a rollback left incomplete', { status: 'FAILED', error: 'RollbackIncomplete', cause: rolledBack }],
    ['an aborted execution (no rollback ran)', { status: 'ABORTED' }],
    ['a timed-out one', { status: 'TIMED_OUT' }],
    ['a failure without our report', { status: 'FAILED', error: 'States.Runtime', cause: 'boom' }],
  ])('never re-runs over %s: that one is answered, for a person to look at', async (_, ending) => {
    executions({ 'HR-1': { input: INPUT, ...ending } });
    expect(await onboardings().start('HR-1', INPUT)).toMatchObject({ executionArn: ARN, started: false });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('skips a name another ticket holds (HR-1-2 is its own request) and takes the next', async () => {
    executions({
      'HR-1': { input: INPUT, status: 'FAILED', error: 'AccessDenied', cause: rolledBack },
      'HR-1-2': { input: '{"requestId":"HR-1-2","userName":"bob"}', status: 'SUCCEEDED' },
    });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: ARN_OF('HR-1-3'), startDate: T });
    expect(await onboardings().start('HR-1', INPUT)).toMatchObject({ attempt: 3, started: true });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { name: 'HR-1-3' });
  });

  it('compares a re-sent request with the latest attempt: another request is still a conflict', async () => {
    executions({
      'HR-1': { input: INPUT, status: 'FAILED', error: 'AccessDenied', cause: rolledBack },
    });
    const other = JSON.stringify({ requestId: 'HR-1', userName: 'bob' });
    await expect(onboardings().start('HR-1', other)).rejects.toBeInstanceOf(RequestIdConflictError);
  });

  it('walks again when another start took the name first, and answers that execution', async () => {
    // The first walk finds nothing; the start loses the race; the second walk finds the winner running.
    sfnMock.on(DescribeExecutionCommand).rejects(notFound());
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: ARN })
      .rejectsOnce(notFound())
      .resolves({ executionArn: ARN, name: 'HR-1', input: INPUT, status: 'RUNNING', startDate: T });
    sfnMock.on(StartExecutionCommand).rejects(alreadyExists());
    expect(await onboardings().start('HR-1', INPUT)).toMatchObject({ executionArn: ARN, started: false });
  });

  it('refuses to re-run a request id too long to carry an attempt suffix, saying how long it may be', async () => {
    const long = `R${'x'.repeat(79)}`;
    const input = JSON.stringify({ requestId: long });
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: ARN_OF(long),
      name: long,
      input,
      status: 'FAILED',
      error: 'AccessDenied',
      cause: rolledBack,
      startDate: T,
    });
    await expect(onboardings().start(long, input)).rejects.toMatchObject({
      name: 'RerunNameTooLong',
      message: expect.stringMatching(/at most 78 characters/),
    });
  });

  it('turns AWS errors into domain errors (throttling is transient)', async () => {
    executions({});
    sfnMock
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(onboardings().start('HR-1', INPUT)).rejects.toBeInstanceOf(ThrottlingError);
  });

  it('compares requests by content, not by encoding', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });
});

describe('reading an onboarding', () => {
  it('builds the report from DescribeExecution and the whole history', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(notFound());
    sfnMock.on(DescribeExecutionCommand, { executionArn: ARN }).resolves({
      executionArn: ARN,
      name: 'HR-1',
      input: INPUT,
      status: 'SUCCEEDED',
      startDate: new Date('2026-01-15T12:00:00Z'),
      stopDate: new Date('2026-01-15T12:00:05Z'),
      output: JSON.stringify({
        created: { CreateUser: { userArn: 'arn:aws:iam::123456789012:user/onboarded/alice' } },
      }),
    });
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          { id: 1, type: 'ExecutionStarted', timestamp: new Date('2026-01-15T12:00:00Z') },
          {
            id: 2,
            type: 'TaskStateEntered',
            timestamp: new Date('2026-01-15T12:00:01Z'),
            stateEnteredEventDetails: { name: 'CreateUser' },
          },
        ],
        nextToken: 'page-2',
      })
      .resolvesOnce({
        events: [
          { id: 3, type: 'LambdaFunctionScheduled', timestamp: new Date('2026-01-15T12:00:01Z') },
          { id: 4, type: 'LambdaFunctionSucceeded', timestamp: new Date('2026-01-15T12:00:02Z') },
          {
            id: 5,
            type: 'TaskStateExited',
            timestamp: new Date('2026-01-15T12:00:02Z'),
            stateExitedEventDetails: { name: 'CreateUser' },
          },
        ],
      });
    const report = await onboardings().status('HR-1');
    expect(report).toMatchObject({
      requestId: 'HR-1',
      status: 'succeeded',
      timeline: [{ state: 'CreateUser', status: 'succeeded', attempts: 1, durationMs: 1000 }],
      created: { CreateUser: { userArn: 'arn:aws:iam::123456789012:user/onboarded/alice' } },
    });
    expect(sfnMock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 2);
  });

  it("reports a re-run's latest attempt, with the rolled-back ones before it", async () => {
    executions({
      'HR-1': { input: INPUT, status: 'FAILED', error: 'AccessDenied', cause: rolledBack },
      'HR-1-2': { input: INPUT, status: 'SUCCEEDED', stopDate: T },
    });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const report = await onboardings().status('HR-1');
    expect(report).toMatchObject({
      requestId: 'HR-1',
      executionArn: ARN_OF('HR-1-2'),
      status: 'succeeded',
      attempt: 2,
      previousAttempts: [{ attempt: 1, executionArn: ARN, status: 'FAILED', error: 'AccessDenied' }],
    });
  });

  it('answers undefined for an unknown request id', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'nope', $metadata: {} }));
    expect(await onboardings().status('HR-404')).toBeUndefined();
  });
});

describe("the API's secrets", () => {
  const ids = secretIdsFrom(config, {});

  it('come from Secrets Manager under the configured names, or the names/ARNs in the environment', () => {
    expect(ids).toEqual({
      webhookSecret: 'iam-onboarding/webhook-hmac',
      apiToken: 'iam-onboarding/api-token',
      callbackSecret: 'iam-onboarding/callback-hmac',
    });
    expect(
      secretIdsFrom(config, { ONBOARDING_WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:x' }).webhookSecret,
    ).toBe('arn:aws:secretsmanager:x');
  });

  it('are read once per TTL and shared by concurrent callers; a failed read is not kept', async () => {
    let now = 0;
    smMock.on(GetSecretValueCommand, { SecretId: ids.webhookSecret }).resolves({ SecretString: 'w' });
    smMock
      .on(GetSecretValueCommand, { SecretId: ids.apiToken })
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    const secrets = new ApiSecrets(
      new SdkSecretReader(new SecretsManagerClient({ region: 'us-east-1' })),
      ids,
      {
        ttlMs: 60_000,
        now: () => now,
      },
    );
    const [a, b] = await Promise.all([secrets.credentials(), secrets.credentials()]);
    expect(a).toEqual({ webhookSecret: 'w' });
    expect(b).toBe(a);
    expect(smMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    now = 61_000;
    await secrets.credentials();
    expect(smMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 4);

    smMock
      .on(GetSecretValueCommand, { SecretId: ids.callbackSecret })
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(secrets.callbackSecret()).rejects.toBeInstanceOf(ThrottlingError);
    smMock
      .on(GetSecretValueCommand, { SecretId: ids.callbackSecret })
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    await expect(secrets.callbackSecret()).rejects.toBeInstanceOf(MissingSecretError);
  });
});
