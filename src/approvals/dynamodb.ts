import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toDomainError } from '../aws/errors.ts';
import { ApprovalConflictError } from '../errors.ts';
import { isConditionFailure, ledgerDocumentClient, updateOf } from '../ledger/dynamodb.ts';
import { ITEM_SK, requestPk } from '../ledger/items.ts';
import type { ApprovalRecord, ApprovalStore, DecideResult, PendingApproval } from './approvals.ts';

export { APPROVAL_CALLS } from './approvals.ts';

/**
 * The approval gate's item in the ledger: `pk = REQUEST#<requestId>`, `sk = APPROVAL` (docs/ledger.md).
 * The task token lives here while the approval is pending and until its decision is delivered; it is
 * never returned by `get`, never logged and never in an error message.
 */

const RECORD_FIELDS = [
  'requestId',
  'executionArn',
  'profile',
  'requester',
  'approvers',
  'status',
  'requestedAt',
  'expiresAt',
  'decidedBy',
  'decidedAt',
  'reason',
] as const;

/** The record's fields only (a whitelist): the token stays in the table. */
function recordOf(item: Record<string, unknown> | undefined): ApprovalRecord | undefined {
  if (item?.itemType !== 'approval') return undefined;
  const out: Record<string, unknown> = {};
  for (const k of RECORD_FIELDS) if (item[k] !== undefined) out[k] = item[k];
  return out as unknown as ApprovalRecord;
}

export class DynamoApprovalStore implements ApprovalStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = ledgerDocumentClient(client);
  }

  private key(requestId: string) {
    return { pk: requestPk(requestId), sk: ITEM_SK.approval };
  }

  async recordPending(pending: PendingApproval): Promise<void> {
    const update = updateOf(
      {
        itemType: 'approval',
        requestId: pending.requestId,
        executionArn: pending.executionArn,
        profile: pending.profile,
        requester: pending.requester,
        approvers: pending.approvers,
        status: 'pending',
        requestedAt: pending.requestedAt,
        expiresAt: pending.expiresAt,
        taskToken: pending.taskToken,
      },
      {},
      // An earlier attempt's decision does not carry over to a new execution.
      ['decidedBy', 'decidedAt', 'reason'],
    );
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(pending.requestId),
          ...update,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#pk': 'pk' },
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':pendingStatus': 'pending' },
          // A retried task (a new token) replaces its own pending approval; a new execution (a re-run)
          // replaces an old one's. A decided approval of this same execution is never reopened.
          ConditionExpression:
            'attribute_not_exists(#pk) OR #executionArn <> :executionArn OR #status = :pendingStatus',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        // AwaitApproval retried after its approval was decided: the decision stands, no new token is stored.
        throw new ApprovalConflictError(
          `the approval of ${pending.requestId} for ${pending.executionArn} is decided already`,
        );
      }
      throw toDomainError(error, `ledger UpdateItem ${pending.requestId} (approval)`);
    }
  }

  async get(requestId: string): Promise<ApprovalRecord | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: this.key(requestId), ConsistentRead: true }),
      );
      return recordOf(out.Item);
    } catch (error) {
      throw toDomainError(error, `ledger GetItem ${requestId} (approval)`);
    }
  }

  async decide(
    requestId: string,
    executionArn: string,
    decision: { status: 'approved' | 'denied'; decidedBy: string; decidedAt: string; reason?: string },
    now: Date,
  ): Promise<DecideResult> {
    const update = updateOf({ ...decision }, {});
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(requestId),
          ...update,
          ExpressionAttributeNames: {
            ...update.ExpressionAttributeNames,
            '#executionArn': 'executionArn',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ...update.ExpressionAttributeValues,
            ':executionArn': executionArn,
            ':pendingStatus': 'pending',
            ':now': now.toISOString(),
          },
          // The first decision wins; an expired approval takes none (ISO 8601 UTC compares as text).
          ConditionExpression:
            '#status = :pendingStatus AND #executionArn = :executionArn AND #expiresAt > :now',
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = out.Attributes as Record<string, unknown> | undefined;
      const record = recordOf(item);
      if (!record) throw new Error(`ledger UpdateItem ${requestId}: no approval item came back`);
      const token = typeof item?.taskToken === 'string' ? item.taskToken : undefined;
      return { decided: true, record, ...(token ? { taskToken: token } : {}) };
    } catch (error) {
      if (isConditionFailure(error)) return { decided: false, record: await this.get(requestId) };
      throw toDomainError(error, `ledger UpdateItem ${requestId} (approval)`);
    }
  }

  async undeliveredToken(
    requestId: string,
    executionArn: string,
    decidedBy: string,
  ): Promise<string | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: this.key(requestId), ConsistentRead: true }),
      );
      const item = out.Item as Record<string, unknown> | undefined;
      if (item?.executionArn !== executionArn || item?.decidedBy !== decidedBy) return undefined;
      return typeof item.taskToken === 'string' ? item.taskToken : undefined;
    } catch (error) {
      throw toDomainError(error, `ledger GetItem ${requestId} (approval)`);
    }
  }

  async closeToken(requestId: string, executionArn: string, expired = false): Promise<void> {
    const update = updateOf(expired ? { status: 'expired' } : {}, {}, ['taskToken']);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(requestId),
          ...update,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#executionArn': 'executionArn' },
          ExpressionAttributeValues: {
            ...(update.ExpressionAttributeValues ?? {}),
            ':executionArn': executionArn,
          },
          ConditionExpression: '#executionArn = :executionArn',
        }),
      );
    } catch (error) {
      // A newer attempt replaced the item: its token is not this one's to remove.
      if (isConditionFailure(error)) return;
      throw toDomainError(error, `ledger UpdateItem ${requestId} (approval)`);
    }
  }
}
