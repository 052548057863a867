import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoApprovalStore } from '../approvals/dynamodb.ts';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { LEDGER_TABLE_ENV, ledgerTableFromEnv } from '../ledger/items.ts';
import type { TaskDeps } from '../steps/types.ts';
import { depsFromEnv } from './deps.ts';
import { once } from './shared.ts';

/**
 * Plan's and AwaitApproval's dependencies: a task's, and the ledger's approvals where serverless.yml
 * gives the function the table (Plan reads a privileged request's decision, AwaitApproval records it
 * pending). Apart from src/lambda/deps.ts so that only these two bundles carry the DynamoDB client.
 */
export function depsWithApprovalsFromEnv(env: NodeJS.ProcessEnv): TaskDeps {
  return {
    ...depsFromEnv(env),
    ...(env[LEDGER_TABLE_ENV]
      ? {
          approvals: new DynamoApprovalStore(
            new DynamoDBClient(lambdaClientConfig(env)),
            ledgerTableFromEnv(env),
          ),
        }
      : {}),
  };
}

/** Built on the first invocation and kept for the container's life. */
export const lambdaDepsWithApprovals = once(() => depsWithApprovalsFromEnv(process.env));
