import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { APPROVAL_CALLS, DynamoApprovalStore } from '../approvals/dynamodb.ts';
import { CALLBACK_CALLS, SfnTaskCallbacks } from '../approvals/sfn.ts';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { callbackPolicyOf, runtimeConfigFromEnv } from '../config.ts';
import { InvalidConfigurationError } from '../errors.ts';
import { logger } from '../lambda/shared.ts';
import { DynamoLedger, LEDGER_CALLS } from '../ledger/dynamodb.ts';
import { ledgerTableFromEnv } from '../ledger/items.ts';
import { LedgerLister, LIST_CALLS } from '../ledger/list.ts';
import { LedgerBackedStatusReader } from '../ledger/status.ts';
import { OFFBOARDING_STATE_MACHINE_ARN_ENV, offboardingStateMachineArnFromEnv } from '../offboarding/deps.ts';
import { DynamoOffboardingStore } from '../offboarding/ledger.ts';
import { call, type DeclaredCall } from '../steps/calls.ts';
import { ApiSecrets, SdkSecretReader, secretIdsFrom } from './credentials.ts';
import { type ApiDeps, handleHttp } from './http.ts';
import { SfnOnboardings } from './onboardings.ts';

/** API Gateway HTTP API (payload format 2.0) -> the HTTP handler. Nothing is read or built at import. */

/**
 * The fields of API Gateway's payload 2.0 event this adapter reads (headers are lower-cased by API
 * Gateway, repeated ones joined with commas); a real `APIGatewayProxyEventV2` is one.
 */
export type HttpApiEventV2 = Pick<APIGatewayProxyEventV2, 'rawPath' | 'body' | 'isBase64Encoded'> & {
  rawQueryString?: string;
  headers?: APIGatewayProxyEventV2['headers'];
  requestContext: Pick<APIGatewayProxyEventV2['requestContext'], 'domainName' | 'stage'> & {
    http: Pick<APIGatewayProxyEventV2['requestContext']['http'], 'method'>;
  };
};

export type HttpApiResultV2 = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
};

export const STATE_MACHINE_ENV = 'ONBOARDING_STATE_MACHINE_ARN';

/**
 * The AWS calls this function makes (its role is checked against them): start an execution, read one
 * back (the idempotent retry and the status), read its own two secrets, record the accepted request
 * in the ledger and read it back once Step Functions no longer has the execution, and list the
 * ledger's requests (a Query of its two listing indexes).
 */
export const HTTP_API_CALLS: readonly DeclaredCall[] = [
  call('states:StartExecution'),
  call('states:DescribeExecution'),
  call('states:GetExecutionHistory'),
  call('secretsmanager:GetSecretValue'),
  call(LEDGER_CALLS.accept),
  call(LEDGER_CALLS.read),
  call(LIST_CALLS.list),
  // POST /onboardings/{requestId}/approval: the decision (a conditional write), then the task token's answer.
  call(APPROVAL_CALLS.decide),
  call(CALLBACK_CALLS.succeed),
  call(CALLBACK_CALLS.fail),
];

type Built = Omit<ApiDeps, 'baseUrl'>;

/** Built once per container from the environment; a missing key fails naming it. */
export function apiDepsFromEnv(env: NodeJS.ProcessEnv): Built {
  const config = runtimeConfigFromEnv(env);
  const stateMachineArn = env[STATE_MACHINE_ENV];
  if (!stateMachineArn) {
    throw new InvalidConfigurationError(
      `${STATE_MACHINE_ENV} is not set (the onboarding state machine's ARN)`,
    );
  }
  const sfn = new SFNClient(lambdaClientConfig());
  const dynamodb = new DynamoDBClient(lambdaClientConfig());
  const tableName = ledgerTableFromEnv(env);
  const onboardings = new SfnOnboardings(sfn, stateMachineArn);
  const ledger = new DynamoLedger(dynamodb, tableName);
  const secrets = new ApiSecrets(
    new SdkSecretReader(new SecretsManagerClient(lambdaClientConfig())),
    secretIdsFrom(config, env),
    { ttlMs: config.api.secretCacheSeconds * 1000 },
  );
  // The leaver saga, where the deployment has one (its ARN in the environment).
  const offboardingArn = env[OFFBOARDING_STATE_MACHINE_ARN_ENV];
  const offboardings = offboardingArn
    ? {
        offboardings: {
          starter: new SfnOnboardings(sfn, offboardingStateMachineArnFromEnv(env)),
          store: new DynamoOffboardingStore(dynamodb, tableName),
          callbacks: new SfnTaskCallbacks(sfn),
        },
      }
    : {};
  return {
    ...offboardings,
    config,
    callbackPolicy: callbackPolicyOf(config, config.stage),
    starter: onboardings,
    statusReader: new LedgerBackedStatusReader(onboardings, ledger),
    ledger,
    lister: new LedgerLister(dynamodb, tableName),
    credentials: secrets.credentials,
    approvals: {
      store: new DynamoApprovalStore(dynamodb, tableName),
      callbacks: new SfnTaskCallbacks(sfn),
    },
  };
}

/** The base URL callers used: the stage is in the path unless it is `$default`. */
export function baseUrlOf(event: HttpApiEventV2): string {
  const stage = event.requestContext.stage;
  return `https://${event.requestContext.domainName}${stage && stage !== '$default' ? `/${stage}` : ''}`;
}

export function makeHttpApiHandler(build: () => Built = () => apiDepsFromEnv(process.env)) {
  let built: Built | undefined;
  return async (event: HttpApiEventV2, context?: Context): Promise<HttpApiResultV2> => {
    // One child logger per invocation, with the Lambda context: request ids never mix.
    const log = logger.createChild({ persistentKeys: { task: 'HttpApi' } });
    if (context) log.addContext(context);
    try {
      built ??= build();
    } catch (error) {
      // A deployment fault, not the caller's: say so in the logs, not to the caller.
      log.error('onboarding API is misconfigured', {
        errorName: (error as Error).name,
        errorMessage: (error as Error).message,
      });
      return {
        statusCode: 500,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        body: JSON.stringify({ error: 'the onboarding service is misconfigured; the logs say why' }),
        isBase64Encoded: false,
      };
    }
    const rawBody = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    const response = await handleHttp(
      {
        method: event.requestContext.http.method,
        path: event.rawPath,
        query: event.rawQueryString ?? '',
        headers: event.headers ?? {},
        rawBody,
      },
      { ...built, baseUrl: baseUrlOf(event), log: (entry) => log.info('onboarding API call', { ...entry }) },
    );
    return {
      statusCode: response.status,
      headers: response.headers,
      body: response.body,
      isBase64Encoded: false,
    };
  };
}
