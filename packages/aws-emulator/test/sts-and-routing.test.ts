import {
  CreateAccessKeyCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { AwsError, type JsonService } from '../src/index.ts';
import { awsError, clientsFor, emulatorWithClients, jsonCall, openEmulator, queryCall } from './helpers.ts';

describe('STS', () => {
  it("answers GetCallerIdentity with the account's root for credentials the emulator did not issue", async () => {
    // Prepare
    const { sts } = await emulatorWithClients({ accountId: '123456789012' });

    // Act
    const me = await sts.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(me).toMatchObject({
      Account: '123456789012',
      UserId: '123456789012',
      Arn: 'arn:aws:iam::123456789012:root',
    });
  });

  it('answers GetCallerIdentity with the user whose access key signed the request', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    const user = await iam.send(new CreateUserCommand({ UserName: 'alice', Path: '/onboarded/' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const { sts } = clientsFor(emulator, {
      accessKeyId: key.AccessKey?.AccessKeyId ?? '',
      secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
    });

    // Act
    const me = await sts.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(me).toMatchObject({
      Account: '000000000000',
      UserId: user.User?.UserId,
      Arn: 'arn:aws:iam::000000000000:user/onboarded/alice',
    });
  });
});

describe('routing', () => {
  it('routes an awsQuery call by the service in the SigV4 credential scope', async () => {
    // Prepare
    const emulator = await openEmulator();

    // Act
    const asSts = await queryCall(
      emulator,
      { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      { service: 'sts' },
    );
    const asIam = await queryCall(
      emulator,
      { Action: 'GetCallerIdentity', Version: '2010-05-08' },
      { service: 'iam' },
    );

    // Assess
    expect(asSts.status).toBe(200);
    expect(await asSts.text()).toContain(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
    );
    expect(asIam.status).toBe(400);
    const error = await asIam.text();
    expect(error).toContain('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">');
    expect(error).toContain('<Code>InvalidAction</Code>');
  });

  it('routes an unsigned awsQuery call by its action name', async () => {
    // Prepare
    const emulator = await openEmulator();

    // Act
    const sts = await queryCall(emulator, { Action: 'GetCallerIdentity' });
    const iam = await queryCall(emulator, { Action: 'ListUsers' });

    // Assess
    expect(await sts.text()).toContain('<Account>000000000000</Account>');
    expect(await iam.text()).toContain(
      '<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">',
    );
    expect(
      emulator
        .calls()
        .map((c) => `${c.service}:${c.action}`)
        .sort(),
    ).toEqual(['iam:ListUsers', 'sts:GetCallerIdentity']);
  });

  it("answers in IAM's XML shapes: a Result with ResponseMetadata, an ErrorResponse with Type, Code and RequestId", async () => {
    // Prepare
    const emulator = await openEmulator();

    // Act
    const ok = await queryCall(emulator, { Action: 'CreateUser', UserName: 'alice' }, { service: 'iam' });
    const missing = await queryCall(emulator, { Action: 'GetUser', UserName: 'ghost' }, { service: 'iam' });
    const okBody = await ok.text();
    const errorBody = await missing.text();

    // Assess
    expect(okBody).toMatch(
      /^<CreateUserResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><CreateUserResult><User>.*<\/User><\/CreateUserResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/CreateUserResponse>$/,
    );
    expect(ok.headers.get('content-type')).toBe('text/xml');
    expect(missing.status).toBe(404);
    expect(errorBody).toBe(
      `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name ghost cannot be found.</Message></Error><RequestId>${missing.headers.get('x-amzn-requestid')}</RequestId></ErrorResponse>`,
    );
  });

  it('escapes XML in values it echoes', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const description = `a<b>&"c" it's`;
    await iam.send(
      new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com', Description: description }),
    );

    // Act
    const got = await iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForECS' }));

    // Assess
    expect(got.Role?.Description).toBe(description);
  });

  it('answers a call without an Action, an unknown action and an unknown target with errors', async () => {
    // Prepare
    const emulator = await openEmulator();

    // Act
    const noAction = await queryCall(emulator, {});
    const unknownAction = await queryCall(emulator, { Action: 'CreateRole' }, { service: 'iam' });
    const unknownTarget = await jsonCall(emulator, 'DynamoDB_20120810.ListTables', '{}');
    const unknownOperation = await jsonCall(emulator, 'secretsmanager.RotateSecret', '{}');

    // Assess
    expect(noAction.status).toBe(400);
    expect(await noAction.text()).toContain('<Code>MissingAction</Code>');
    expect(await unknownAction.text()).toContain('<Code>InvalidAction</Code>');
    expect(unknownTarget.status).toBe(400);
    expect(await unknownTarget.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(await unknownOperation.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it("answers Secrets Manager's JSON errors with __type and message, and a body that is not JSON with SerializationException", async () => {
    // Prepare
    const emulator = await openEmulator();

    // Act
    const missing = await jsonCall(emulator, 'secretsmanager.DescribeSecret', '{"SecretId":"nope"}');
    const garbage = await jsonCall(emulator, 'secretsmanager.DescribeSecret', '{nope');

    // Assess
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await missing.json()).toEqual({
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    expect(await garbage.json()).toMatchObject({ __type: 'SerializationException' });
  });

  it('takes awsQuery parameters from the query string of a GET, as IAM does', async () => {
    // Prepare
    const emulator = await openEmulator();

    // Act
    const response = await fetch(`${emulator.endpoint}/?Action=ListUsers&Version=2010-05-08`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(
      '<ListUsersResult><Users></Users><IsTruncated>false</IsTruncated>',
    );
  });
});

describe('registered services', () => {
  /** A minimal Step Functions API: enough to show another engineer's service on the same port. */
  function fakeStepFunctions(): JsonService {
    const executions = new Map<string, string>();
    return {
      targetPrefix: 'AWSStepFunctions',
      contentType: 'application/x-amz-json-1.0',
      actions: {
        StartExecution: (body) => {
          const arn = `arn:aws:states:us-east-1:000000000000:execution:sm:${String(body.name)}`;
          executions.set(arn, String(body.input));
          return { executionArn: arn, startDate: 1_700_000_000 };
        },
        DescribeExecution: (body) => {
          const input = executions.get(String(body.executionArn));
          if (input === undefined) throw new AwsError('ExecutionDoesNotExist', 'Execution Does Not Exist');
          return { executionArn: body.executionArn, status: 'RUNNING', input, startDate: 1_700_000_000 };
        },
      },
    };
  }

  it('serves a registered JSON service beside IAM, through its real SDK client', async () => {
    // Prepare
    const emulator = await openEmulator();
    emulator.registerService('states', fakeStepFunctions());
    const sfn = new SFNClient({
      region: emulator.region,
      endpoint: emulator.env.AWS_ENDPOINT_URL_SFN,
      maxAttempts: 1,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });

    // Act
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:sm',
        name: 'HR-1',
        input: '{}',
      }),
    );
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const missing = await awsError(
      sfn.send(
        new DescribeExecutionCommand({
          executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sm:nope',
        }),
      ),
    );

    // Assess
    expect(described).toMatchObject({ status: 'RUNNING', input: '{}' });
    expect(missing).toMatchObject({ code: 'ExecutionDoesNotExist', status: 400 });
    expect(emulator.calls().find((c) => c.service === 'states' && c.action === 'StartExecution')?.ok).toBe(1);
  });

  it('applies faults to a registered service by its name, and only to it', async () => {
    // Prepare
    const emulator = await openEmulator();
    emulator.registerService('states', fakeStepFunctions());
    emulator.faults.add({
      service: 'states',
      action: '*',
      kind: 'error',
      error: 'ThrottlingException',
      count: 1,
    });
    const sfn = new SFNClient({
      region: emulator.region,
      endpoint: emulator.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const { sm } = clientsFor(emulator);

    // Act
    const throttled = await awsError(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:sm',
          name: 'HR-1',
        }),
      ),
    );
    const other = await sm.send(new CreateSecretCommand({ Name: 'untouched', SecretString: 'v' }));

    // Assess
    expect(throttled).toMatchObject({ code: 'ThrottlingException', status: 400 });
    expect(other.Name).toBe('untouched');
  });
});
