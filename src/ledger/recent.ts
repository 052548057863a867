import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { toDomainError } from '../aws/errors.ts';
import { REQUEST_SK, type RequestItem } from './items.ts';

/**
 * The most recent requests in the ledger, newest first: what `onboard serve`'s status page lists.
 * A Scan, filtered to the REQUEST items: right for the local stack's ledger (it holds what one operator
 * ran), not for a production table, which needs an index by time (a listing API of its own).
 */

export const RECENT_CALLS = { list: 'dynamodb:Scan' } as const;

/** Reads at most this many pages (1 MB each): the local ledger never comes near it. */
const MAX_PAGES = 20;

const timeOf = (item: RequestItem) => Date.parse(item.startedAt ?? item.acceptedAt ?? item.updatedAt) || 0;

export async function recentRequests(
  client: DynamoDBClient,
  tableName: string,
  { limit = 50 }: { limit?: number } = {},
): Promise<RequestItem[]> {
  const doc = DynamoDBDocumentClient.from(client);
  const items: RequestItem[] = [];
  let start: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    let out: ScanCommandOutput;
    try {
      out = await doc.send(
        new ScanCommand({
          TableName: tableName,
          FilterExpression: '#sk = :request',
          ExpressionAttributeNames: { '#sk': 'sk' },
          ExpressionAttributeValues: { ':request': REQUEST_SK },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
    } catch (error) {
      throw toDomainError(error, `ledger Scan ${tableName}`);
    }
    items.push(...((out.Items ?? []) as RequestItem[]));
    start = out.LastEvaluatedKey;
    pages++;
  } while (start && pages < MAX_PAGES);
  return items.sort((a, b) => timeOf(b) - timeOf(a) || (a.requestId < b.requestId ? -1 : 1)).slice(0, limit);
}
