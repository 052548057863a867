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

describe('starting an onboarding through Step Functions', () => {
  it('starts an execution named by the request id', async () => {
    const startDate = new Date('2026-01-15T12:00:00Z');
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: ARN, startDate });
    expect(await onboardings().start('HR-1', INPUT)).toEqual({ executionArn: ARN, startDate });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: 'HR-1',
      input: INPUT,
    });
  });

  it('answers the execution already there when a finished one had the same request (keys in any order)', async () => {
    sfnMock.on(StartExecutionCommand).rejects(alreadyExists());
    const reordered = JSON.stringify({ tags: { b: '2', a: '1' }, userName: 'alice', requestId: 'HR-1' });
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: ARN, input: reordered, status: 'SUCCEEDED' });
    expect(await onboardings().start('HR-1', INPUT)).toEqual({ executionArn: ARN });
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: ARN });
  });

  it('refuses the request id when it started a different request', async () => {
    sfnMock.on(StartExecutionCommand).rejects(alreadyExists());
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: ARN, input: '{"requestId":"HR-1","userName":"bob"}' });
    await expect(onboardings().start('HR-1', INPUT)).rejects.toBeInstanceOf(RequestIdConflictError);
  });

  it('turns AWS errors into domain errors (throttling is transient)', async () => {
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
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: ARN,
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
