import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoApprovalStore } from '../approvals/dynamodb.ts';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { runtimeConfigFromEnv } from '../config.ts';
import type { SecretStore } from '../gateways/secrets.ts';
import { LEDGER_TABLE_ENV, ledgerTableFromEnv } from '../ledger/items.ts';
import type { TaskDeps } from '../steps/types.ts';
import { depsFromEnv, executionVerifierFromEnv, noSecretStore } from './deps.ts';
import type { ApprovalTaskDeps } from './handlers.ts';
import { secretStoreFromEnv } from './secrets-deps.ts';
import { once } from './shared.ts';

/**
 * Plan's and AwaitApproval's dependencies: the ledger's approvals where serverless.yml gives the
 * function the table (Plan reads a privileged request's decision, AwaitApproval records it pending).
 * Apart from src/lambda/deps.ts so that only these two bundles carry the DynamoDB client.
 */
const approvalsFromEnv = (env: NodeJS.ProcessEnv) =>
  env[LEDGER_TABLE_ENV]
    ? {
        approvals: new DynamoApprovalStore(
          new DynamoDBClient(lambdaClientConfig(env)),
          ledgerTableFromEnv(env),
        ),
      }
    : {};

/** Plan's: a task's dependencies and the approvals (and Secrets Manager: Plan checks the access key's secret name is free). */
export function depsWithApprovalsFromEnv(
  env: NodeJS.ProcessEnv,
  secrets: (env: NodeJS.ProcessEnv) => SecretStore = noSecretStore,
): TaskDeps {
  return { ...depsFromEnv(env, secrets), ...approvalsFromEnv(env) };
}

/** AwaitApproval's: its execution's proof, the configuration and the approvals; it makes no IAM call, so no IAM client. */
export function approvalTaskDepsFromEnv(env: NodeJS.ProcessEnv): ApprovalTaskDeps {
  return {
    config: runtimeConfigFromEnv(env),
    executions: executionVerifierFromEnv(env),
    ...approvalsFromEnv(env),
  };
}

/** AwaitApproval's, built on the first invocation and kept for the container's life. */
export const lambdaApprovalTaskDeps = /* @__PURE__ */ once(() => approvalTaskDepsFromEnv(process.env));

/** Plan's, built on the first invocation and kept for the container's life. */
export const lambdaPlanDeps = /* @__PURE__ */ once(() =>
  depsWithApprovalsFromEnv(process.env, secretStoreFromEnv),
);
