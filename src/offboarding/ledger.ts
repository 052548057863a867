import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toDomainError } from '../aws/errors.ts';
import { OffboardingRefusedError } from '../errors.ts';
import { isConditionFailure, ledgerDocumentClient, updateOf } from '../ledger/dynamodb.ts';
import { ITEM_SK, requestPk } from '../ledger/items.ts';
import { call } from '../steps/calls.ts';
import type { Containment, Removal, Restoration, Snapshot } from './phases.ts';

/**
 * The offboarding's item in the ledger: `pk = REQUEST#<requestId>`, `sk = OFFBOARDING` (docs/ledger.md).
 * It keeps what the leaver had (the snapshot: names, ids, statuses, last use; never a secret), each
 * phase as it ends, and during the grace period the task token a restore answers. The token is never
 * returned by `get`, never logged, never in an error.
 */

export type OffboardingPhase = 'contained' | 'grace' | 'restore-requested' | 'restored' | 'removed';

export interface OffboardingRecord {
  requestId: string;
  executionArn: string;
  userName: string;
  phase: OffboardingPhase;
  snapshot?: Snapshot;
  containment?: Containment;
  graceEndsAt?: string;
  restoreRequestedBy?: string;
  restoration?: Restoration;
  removal?: Removal;
  updatedAt: string;
}

export const OFFBOARDING_LEDGER_CALLS = {
  write: call('dynamodb:UpdateItem'),
  read: call('dynamodb:GetItem'),
};

const FIELDS = [
  'requestId',
  'executionArn',
  'userName',
  'phase',
  'snapshot',
  'containment',
  'graceEndsAt',
  'restoreRequestedBy',
  'restoration',
  'removal',
  'updatedAt',
] as const;

/** The record's fields only (a whitelist): the token stays in the table. */
function recordOf(item: Record<string, unknown> | undefined): OffboardingRecord | undefined {
  if (item?.itemType !== 'offboarding') return undefined;
  const out: Record<string, unknown> = {};
  for (const k of FIELDS) if (item[k] !== undefined) out[k] = item[k];
  return out as unknown as OffboardingRecord;
}

export interface OffboardingStore {
  /** A phase's end, for this execution (a new execution of the same request replaces an old one's). */
  record(entry: Omit<OffboardingRecord, 'updatedAt'> & { taskToken?: string }, now?: Date): Promise<void>;
  get(requestId: string): Promise<OffboardingRecord | undefined>;
  /**
   * A restore, once: the grace period's phase becomes `restore-requested` and its token is handed back
   * to answer the waiting task. Refused (OffboardingRefused) outside a grace period.
   */
  requestRestore(
    requestId: string,
    by: string,
    now?: Date,
  ): Promise<{ executionArn: string; taskToken: string }>;
}

export class DynamoOffboardingStore implements OffboardingStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = ledgerDocumentClient(client);
  }

  private key(requestId: string) {
    return { pk: requestPk(requestId), sk: ITEM_SK.offboarding };
  }

  async record(entry: Omit<OffboardingRecord, 'updatedAt'> & { taskToken?: string }, now = new Date()) {
    // The token is only there while the grace period waits for it.
    const update = updateOf(
      { itemType: 'offboarding', ...entry, updatedAt: now.toISOString() },
      {},
      entry.taskToken ? [] : ['taskToken'],
    );
    try {
      await this.doc.send(
        new UpdateCommand({ TableName: this.tableName, Key: this.key(entry.requestId), ...update }),
      );
    } catch (error) {
      throw toDomainError(error, `ledger UpdateItem ${entry.requestId} (offboarding)`);
    }
  }

  async get(requestId: string): Promise<OffboardingRecord | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: this.key(requestId), ConsistentRead: true }),
      );
      return recordOf(out.Item);
    } catch (error) {
      throw toDomainError(error, `ledger GetItem ${requestId} (offboarding)`);
    }
  }

  async requestRestore(requestId: string, by: string, now = new Date()) {
    const update = updateOf(
      { phase: 'restore-requested', restoreRequestedBy: by, updatedAt: now.toISOString() },
      {},
      ['taskToken'],
    );
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(requestId),
          ...update,
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':grace': 'grace' },
          ConditionExpression: '#phase = :grace',
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = out.Attributes as { executionArn?: string; taskToken?: string } | undefined;
      if (!old?.executionArn || !old.taskToken) {
        throw new OffboardingRefusedError(
          `offboarding ${requestId} has no grace period waiting for a restore`,
        );
      }
      return { executionArn: old.executionArn, taskToken: old.taskToken };
    } catch (error) {
      if (isConditionFailure(error)) {
        const current = await this.get(requestId);
        throw new OffboardingRefusedError(
          current
            ? `offboarding ${requestId} of ${current.userName} is ${current.phase}, not in its grace period: there is nothing to restore${current.phase === 'removed' ? ' (the user is gone: onboard them again)' : ''}`
            : `there is no offboarding ${requestId} (check the request id: onboard status ${requestId})`,
        );
      }
      throw toDomainError(error, `ledger UpdateItem ${requestId} (offboarding restore)`);
    }
  }
}
