import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import type { OnboardingConfig } from '../config.ts';
import { resolveResource } from '../deploy/roles.ts';
import { LEDGER_RESOURCE } from './items.ts';

/**
 * The ledger table on a local stack, created from serverless.yml's own definition (one source of
 * truth): its name for the stage, keys, attributes, indexes, billing mode and encryption become a CreateTable
 * call. Point-in-time recovery and the Retain policies are the deployment's (no local meaning).
 */

interface CfnTable {
  TableName: string;
  BillingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED';
  AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  KeySchema: CreateTableCommandInput['KeySchema'];
  GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
  SSESpecification?: { SSEEnabled?: boolean };
}

export class LedgerDefinitionError extends Error {
  override readonly name = 'LedgerDefinitionError' as const;
}

/** CloudFormation's properties as the CreateTable API takes them (SSEEnabled is the API's Enabled). */
export function createTableInputOf(properties: Record<string, unknown>): CreateTableCommandInput {
  const p = properties as Partial<CfnTable>;
  if (typeof p.TableName !== 'string' || !p.KeySchema?.length || !p.AttributeDefinitions?.length) {
    throw new LedgerDefinitionError(
      `serverless.yml's ${LEDGER_RESOURCE} needs TableName, KeySchema and AttributeDefinitions`,
    );
  }
  return {
    TableName: p.TableName,
    BillingMode: p.BillingMode ?? 'PAY_PER_REQUEST',
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    // The listing indexes (src/ledger/list.ts): their names, keys and projections, as CloudFormation
    // creates them (an on-demand table's indexes take no throughput).
    ...(p.GlobalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map((i) => ({
            IndexName: i.IndexName,
            KeySchema: i.KeySchema,
            Projection: i.Projection,
            ...(i.ProvisionedThroughput ? { ProvisionedThroughput: i.ProvisionedThroughput } : {}),
          })),
        }
      : {}),
    ...(p.SSESpecification?.SSEEnabled !== undefined
      ? { SSESpecification: { Enabled: p.SSESpecification.SSEEnabled } }
      : {}),
  };
}

/** The ledger table's CreateTable input for one stage, from serverless.yml. */
export async function ledgerTableInput(ctx: {
  config: OnboardingConfig;
  accountId: string;
  region: string;
  stage: string;
}): Promise<CreateTableCommandInput> {
  const resource = await resolveResource(ctx, LEDGER_RESOURCE);
  if (resource.Type !== 'AWS::DynamoDB::Table') {
    throw new LedgerDefinitionError(`serverless.yml's ${LEDGER_RESOURCE} is a ${resource.Type}`);
  }
  return createTableInputOf(resource.Properties);
}

async function describeTable(client: DynamoDBClient, tableName: string | undefined) {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table ?? {};
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw toDomainError(error, `DescribeTable ${tableName}`);
  }
}

/**
 * Creates the table unless it exists (a configured local DynamoDB may keep it across runs), and waits
 * until it is ACTIVE: a table being created refuses writes. A table that exists without one of the
 * definition's indexes (kept by an older version: `onboard serve --state`) is refused, naming the fix,
 * rather than failing later on the first listing.
 */
export async function ensureLedgerTable(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  {
    timeoutMs = 30_000,
    pollMs = 20,
    fresh = false,
  }: {
    timeoutMs?: number;
    pollMs?: number;
    /** The DynamoDB was started empty just now (the stack's own dynalite): no need to look first. */
    fresh?: boolean;
  } = {},
): Promise<void> {
  let table = fresh ? undefined : await describeTable(client, input.TableName);
  if (table === undefined) {
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      // Another process created it in between: as good as ours.
      if (!isAwsError(error, 'ResourceInUseException')) {
        throw toDomainError(error, `CreateTable ${input.TableName}`);
      }
    }
    table = await describeTable(client, input.TableName);
  }
  const deadline = Date.now() + timeoutMs;
  while (table?.TableStatus !== 'ACTIVE') {
    if (Date.now() > deadline) {
      throw new LedgerDefinitionError(
        `the ledger table ${input.TableName} is ${table?.TableStatus ?? 'UNKNOWN'}, not ACTIVE`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    table = await describeTable(client, input.TableName);
  }
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const missing = (input.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).filter((n) => !present.has(n));
  if (missing.length > 0) {
    throw new LedgerDefinitionError(
      `the ledger table ${input.TableName} has no index ${missing.join(', ')} (it was created by an older version of onboard): add ${missing.length === 1 ? 'it' : 'them'} as serverless.yml's ${LEDGER_RESOURCE} defines ${missing.length === 1 ? 'it' : 'them'} (aws dynamodb update-table --global-secondary-index-updates), or start from a new --state file`,
    );
  }
}
