import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import {
  type AcceptedEntry,
  type EndedEntry,
  LedgerConflictError,
  outcomeStatusOf,
  REQUEST_SK,
  type RecordResult,
  type RequestedAccess,
  type RequestItem,
  type RequestLedger,
  requestPk,
} from './items.ts';

/**
 * The ledger on DynamoDB (the deployed table, or dynalite on the local stack: the same calls). Every
 * write is one conditional UpdateItem on the request's item, so a replayed or late write can never
 * lower a status: the acceptance only fills what is missing (`if_not_exists`), and an end is written
 * only over an older `statusAt`. A refused end is explained with one consistent GetItem.
 */

export const LEDGER_CALLS = {
  accept: 'dynamodb:UpdateItem',
  end: 'dynamodb:UpdateItem',
  read: 'dynamodb:GetItem',
} as const;

interface Update {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** The ledger's items as the document client writes them: absent fields left out, never a class instance. */
export const ledgerDocumentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });

/** A conditional write refused (DynamoDB's ConditionalCheckFailedException, by class or by name). */
export const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || isAwsError(error, 'ConditionalCheckFailedException');

/**
 * `SET` what is always written, `SET x = if_not_exists(x, ...)` what only fills a gap, `REMOVE` what
 * must go; every name through a placeholder (status, group and others are DynamoDB reserved words).
 */
export function updateOf(
  always: Record<string, unknown>,
  ifAbsent: Record<string, unknown>,
  remove: readonly string[] = [],
): Update {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const set: string[] = [];
  const name = (n: string) => {
    names[`#${n}`] = n;
    return `#${n}`;
  };
  for (const [k, v] of Object.entries(always)) {
    if (v === undefined) continue;
    values[`:${k}`] = v;
    set.push(`${name(k)} = :${k}`);
  }
  for (const [k, v] of Object.entries(ifAbsent)) {
    if (v === undefined) continue;
    values[`:${k}`] = v;
    set.push(`${name(k)} = if_not_exists(${name(k)}, :${k})`);
  }
  const removed = remove.map(name);
  return {
    UpdateExpression: [
      set.length ? `SET ${set.join(', ')}` : '',
      removed.length ? `REMOVE ${removed.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

const accessFields = (access: RequestedAccess | undefined): Record<string, unknown> =>
  access ? { ...access } : {};

export class DynamoLedger implements RequestLedger {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.doc = ledgerDocumentClient(client);
  }

  private key(requestId: string) {
    return { pk: requestPk(requestId), sk: REQUEST_SK };
  }

  async recordAccepted(entry: AcceptedEntry): Promise<RecordResult> {
    const attempt = entry.attempt ?? 1;
    const fields = {
      itemType: 'request',
      requestId: entry.requestId,
      executionArn: entry.executionArn,
      ...accessFields(entry.access),
      requestedBy: entry.requestedBy,
      acceptedAt: entry.acceptedAt.toISOString(),
      startedAt: entry.startedAt.toISOString(),
      status: 'RUNNING',
      outcome: 'running',
      statusAt: entry.startedAt.getTime(),
      updatedAt: this.now().toISOString(),
    };
    // Which attempt, and the ones before: the same for every replay of this acceptance.
    const attempts = attempt > 1 ? { attempt, previousAttempts: entry.previousAttempts ?? [] } : {};
    // A new attempt replaces an older attempt's item (whose summary it carries in previousAttempts).
    if (attempt > 1 && (await this.replaceOlderAttempt(entry, { ...fields, ...attempts })))
      return { recorded: true };
    // A later end already written keeps its status: these only fill a new item.
    const update = updateOf(attempts, fields);
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(entry.requestId),
          ...update,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#pk': 'pk' },
          ConditionExpression: 'attribute_not_exists(#pk) OR #executionArn = :executionArn',
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return out.Attributes?.acceptedAt !== undefined
        ? { recorded: false, reason: 'the acceptance is already recorded' }
        : { recorded: true };
    } catch (error) {
      if (isConditionFailure(error)) {
        const existing = await this.get(entry.requestId);
        if (existing && (existing.attempt ?? 1) > attempt) {
          return { recorded: false, reason: `a later attempt (${existing.attempt}) is recorded` };
        }
        throw new LedgerConflictError(
          `the ledger's ${entry.requestId} belongs to another execution than ${entry.executionArn}`,
        );
      }
      throw toDomainError(error, `ledger UpdateItem ${entry.requestId}`);
    }
  }

  /** Overwrites the item of an older attempt with this one's; false when the item is not older. */
  private async replaceOlderAttempt(entry: AcceptedEntry, fields: Record<string, unknown>): Promise<boolean> {
    // What the older attempt's end wrote does not describe this one.
    const update = updateOf(fields, {}, ['stoppedAt', 'created', 'failure']);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(entry.requestId),
          ...update,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#pk': 'pk' },
          ConditionExpression:
            'attribute_exists(#pk) AND #executionArn <> :executionArn AND ' +
            '(attribute_not_exists(#attempt) OR #attempt < :attempt)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        return false;
      }
      throw toDomainError(error, `ledger UpdateItem ${entry.requestId}`);
    }
  }

  async recordEnded(entry: EndedEntry): Promise<RecordResult> {
    const statusAt = entry.stoppedAt.getTime();
    const attempt = entry.attempt ?? 1;
    // The end of a re-run may arrive before its acceptance: it then replaces the older attempt's item.
    const later = attempt > 1;
    const update = updateOf(
      {
        status: entry.status,
        // The listing index's key moves with the status (src/ledger/list.ts).
        outcome: outcomeStatusOf(entry.status, entry.failure),
        statusAt,
        stoppedAt: entry.stoppedAt.toISOString(),
        updatedAt: this.now().toISOString(),
        created: entry.created,
        failure: entry.failure,
        ...(later
          ? { executionArn: entry.executionArn, attempt, startedAt: entry.startedAt.toISOString() }
          : {}),
      },
      {
        itemType: 'request',
        requestId: entry.requestId,
        ...(later ? {} : { executionArn: entry.executionArn, startedAt: entry.startedAt.toISOString() }),
        ...accessFields(entry.access),
      },
      // A redriven execution that now succeeded has no failure any more (and the reverse).
      [...(entry.created ? [] : ['created']), ...(entry.failure ? [] : ['failure'])],
    );
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(entry.requestId),
          ...update,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#pk': 'pk' },
          ConditionExpression: later
            ? '(attribute_not_exists(#pk) OR (#executionArn = :executionArn AND ' +
              '(attribute_not_exists(#statusAt) OR #statusAt < :statusAt)) OR ' +
              '(#executionArn <> :executionArn AND (attribute_not_exists(#attempt) OR #attempt < :attempt)))'
            : '(attribute_not_exists(#pk) OR #executionArn = :executionArn) AND ' +
              '(attribute_not_exists(#statusAt) OR #statusAt < :statusAt)',
        }),
      );
      return { recorded: true };
    } catch (error) {
      if (
        !(
          error instanceof ConditionalCheckFailedException ||
          isAwsError(error, 'ConditionalCheckFailedException')
        )
      ) {
        throw toDomainError(error, `ledger UpdateItem ${entry.requestId}`);
      }
    }
    const existing = await this.get(entry.requestId);
    if (existing && existing.executionArn !== entry.executionArn && (existing.attempt ?? 1) > attempt) {
      return { recorded: false, reason: `a later attempt (${existing.attempt}) is recorded` };
    }
    if (existing && existing.executionArn !== entry.executionArn) {
      throw new LedgerConflictError(
        `the ledger's ${entry.requestId} belongs to ${existing.executionArn}, not ${entry.executionArn}`,
      );
    }
    if (existing?.status === entry.status && existing.statusAt === statusAt) {
      return { recorded: false, reason: 'this end is already recorded' };
    }
    return {
      recorded: false,
      reason: `a later status is recorded (${existing?.status ?? 'unknown'} at ${
        existing ? new Date(existing.statusAt).toISOString() : 'unknown'
      })`,
    };
  }

  async get(requestId: string): Promise<RequestItem | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: this.key(requestId), ConsistentRead: true }),
      );
      return out.Item as RequestItem | undefined;
    } catch (error) {
      throw toDomainError(error, `ledger GetItem ${requestId}`);
    }
  }
}
