import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { SdkLeaverGateway } from '../gateways/leaver.ts';
import { once } from '../lambda/shared.ts';
import { LEDGER_TABLE_ENV, ledgerTableFromEnv } from '../ledger/items.ts';
import { offboardingDepsFromEnv } from './deps.ts';
import { DynamoOffboardingStore } from './ledger.ts';

/**
 * Each offboarding Lambda's dependencies, with the clients of the services its task declares
 * (src/offboarding/tasks.ts) and no other. Built on the first invocation, kept for the container's life.
 */

const leaverFromEnv = (env: NodeJS.ProcessEnv) =>
  new SdkLeaverGateway(new IAMClient(lambdaClientConfig(env)));
const ledgerFromEnv = (env: NodeJS.ProcessEnv) =>
  env[LEDGER_TABLE_ENV]
    ? new DynamoOffboardingStore(new DynamoDBClient(lambdaClientConfig(env)), ledgerTableFromEnv(env))
    : undefined;
const withLedger = (env: NodeJS.ProcessEnv) => {
  const offboardings = ledgerFromEnv(env);
  return offboardings ? { offboardings } : {};
};

/** Snapshot, Contain, Restore, Verify: IAM and the ledger. */
export const lambdaLeaverLedgerDeps = /* @__PURE__ */ once(() =>
  offboardingDepsFromEnv(process.env, { leaver: leaverFromEnv(process.env), ...withLedger(process.env) }),
);

/** GracePeriod: the ledger only (it stores the task token). */
export const lambdaLedgerDeps = /* @__PURE__ */ once(() =>
  offboardingDepsFromEnv(process.env, withLedger(process.env)),
);
