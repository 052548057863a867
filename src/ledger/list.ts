import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { toDomainError } from '../aws/errors.ts';
import { didYouMean } from '../did-you-mean.ts';
import type { OnboardingStatus } from '../execution/outcome.ts';
import { outcomeStatusOf, REQUEST_SK, type RequestedBy, type RequestItem } from './items.ts';

/**
 * `onboard list` and `GET /onboardings`: the ledger's requests, newest first, all of them or those of
 * one status, a page at a time. Two sparse global secondary indexes of the table (serverless.yml), both
 * sorted by `startedAt` (the latest attempt's start, ISO 8601, so that string order is time order):
 *
 *   byTime     partition `itemType` (= `request` on every REQUEST item)   every request
 *   byOutcome  partition `outcome` (the API's status, moved by each write)  one status
 *
 * Always a Query of one index partition (never a Scan, never the table itself: the API's role is
 * granted Query on the two index ARNs alone). A page is read with Limit = page size + 1, so `next`
 * is given only when another request really follows; it is the last listed item's index key, opaque
 * to callers (base64url JSON), checked strictly when it comes back, and bound to the status it lists.
 * The indexes are eventually consistent: a request accepted a moment ago may be missing for a moment.
 */

export const LIST_CALLS = { list: 'dynamodb:Query' } as const;

export const LIST_INDEX = { all: 'byTime', byStatus: 'byOutcome' } as const;

/** The statuses the API answers (src/execution/outcome.ts), in the order a person reads them. */
export const ONBOARDING_STATUSES: readonly OnboardingStatus[] = [
  'running',
  'succeeded',
  'rolled back',
  'rollback incomplete',
  'aborted',
  'timed out',
];

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;
/** Far longer than any cursor this module writes (request ids are at most 80 characters). */
const MAX_CURSOR_LENGTH = 1024;

/** A listing asked for wrongly: the field, what is wrong and what to pass instead. */
export class InvalidListQueryError extends Error {
  override readonly name = 'InvalidListQuery' as const;
  constructor(
    readonly issues: readonly { path: string; message: string }[],
    message = `invalid listing: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
  ) {
    super(message);
  }
}

const spelled = (s: string) => s.trim().toLowerCase().replace(/[-_]+/g, ' ').replace(/\s+/g, ' ');

/** `rolled back`, `rolled-back`, `ROLLED_BACK` alike; anything else is refused, naming the choices. */
export function parseStatusFilter(raw: string, path = 'status'): OnboardingStatus {
  const wanted = spelled(raw);
  const found = ONBOARDING_STATUSES.find((s) => s === wanted);
  if (found) return found;
  throw new InvalidListQueryError([
    {
      path,
      message: `unknown status "${raw}"${didYouMean(wanted, ONBOARDING_STATUSES)}: use one of ${ONBOARDING_STATUSES.map((s) => s.replace(/ /g, '-')).join(', ')}`,
    },
  ]);
}

export function parseLimit(raw: string, path = 'limit'): number {
  const n = /^[0-9]{1,4}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_LIST_LIMIT) return n;
  throw new InvalidListQueryError([
    { path, message: `"${raw}" is not a page size: use a whole number from 1 to ${MAX_LIST_LIMIT}` },
  ]);
}

export interface ListQuery {
  status?: OnboardingStatus;
  /** Page size, 1..MAX_LIST_LIMIT (default DEFAULT_LIST_LIMIT). */
  limit?: number;
  /** The `next` of the page before. */
  cursor?: string;
}

export interface ListedPage {
  items: RequestItem[];
  /** Where the next page starts; absent on the last page. */
  next?: string;
}

/** One request as the listing shows it: the documented row of `onboard list --json` and GET /onboardings. */
export interface ListedRequest {
  requestId: string;
  status: OnboardingStatus;
  userName?: string;
  profile?: string;
  group?: string;
  /** Who asked: the channel, the ticketing source and auth method, or the CLI's operator. */
  requestedBy?: RequestedBy;
  startedAt: string;
  stoppedAt?: string;
  /** How many attempts the request has had (a re-run of a rolled-back ticket is the second). */
  attempts: number;
  executionArn: string;
  /** The error of a request that did not succeed. */
  error?: string;
}

export function listedOf(item: RequestItem): ListedRequest {
  const status = outcomeStatusOf(item.status, item.failure);
  return {
    requestId: item.requestId,
    status,
    ...(item.userName !== undefined ? { userName: item.userName } : {}),
    ...(item.profile !== undefined ? { profile: item.profile } : {}),
    ...(item.group !== undefined ? { group: item.group } : {}),
    ...(item.requestedBy ? { requestedBy: item.requestedBy } : {}),
    startedAt: item.startedAt ?? item.acceptedAt ?? item.updatedAt,
    ...(item.stoppedAt ? { stoppedAt: item.stoppedAt } : {}),
    attempts: item.attempt ?? 1,
    executionArn: item.executionArn,
    ...(item.failure ? { error: item.failure.error } : {}),
  };
}

type IndexKey = Record<string, string>;

/** The attributes of an index's LastEvaluatedKey: the table's key and the index's. */
const keyNames = (status: OnboardingStatus | undefined) =>
  ['pk', 'sk', status === undefined ? 'itemType' : 'outcome', 'startedAt'] as const;

function keyOf(item: RequestItem, status: OnboardingStatus | undefined): IndexKey {
  const source = item as unknown as Record<string, unknown>;
  const key: IndexKey = {};
  for (const name of keyNames(status)) key[name] = String(source[name]);
  return key;
}

export function encodeCursor(status: OnboardingStatus | undefined, key: IndexKey): string {
  return Buffer.from(JSON.stringify({ v: 1, status: status ?? null, key }), 'utf8').toString('base64url');
}

const badCursor = (message: string) =>
  new InvalidListQueryError([{ path: 'cursor', message }], `invalid cursor: ${message}`);

/** The index key a cursor carries, for this listing only; anything else is refused before a Query. */
export function decodeCursor(cursor: string, status: OnboardingStatus | undefined): IndexKey {
  const notOurs = 'it is not a `next` this listing gave; start again without a cursor';
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor(notOurs);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor(notOurs);
  }
  const v = value as { v?: unknown; status?: unknown; key?: unknown } | null;
  if (!v || typeof v !== 'object' || v.v !== 1 || !v.key || typeof v.key !== 'object')
    throw badCursor(notOurs);
  const listed = v.status === null ? undefined : v.status;
  if (listed !== status) {
    const which = (s: unknown) => (s === undefined ? 'every status' : `status ${String(s)}`);
    throw badCursor(
      `it continues the listing of ${which(listed)}, not of ${which(status)}: pass the same status as for the page before, or start again without a cursor`,
    );
  }
  const key = v.key as Record<string, unknown>;
  const names = keyNames(status);
  const exact =
    Object.keys(key).length === names.length &&
    names.every((n) => typeof key[n] === 'string' && (key[n] as string).length > 0);
  const partition = status === undefined ? key.itemType === 'request' : key.outcome === status;
  if (
    !exact ||
    !partition ||
    key.sk !== REQUEST_SK ||
    !String(key.pk).startsWith('REQUEST#') ||
    Number.isNaN(Date.parse(String(key.startedAt)))
  ) {
    throw badCursor(notOurs);
  }
  return key as IndexKey;
}

export class LedgerLister {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  /** One page, newest first. A bad cursor is an InvalidListQueryError, raised before any call. */
  async list({ status, limit = DEFAULT_LIST_LIMIT, cursor }: ListQuery = {}): Promise<ListedPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) parseLimit(String(limit));
    let start: IndexKey | undefined = cursor === undefined ? undefined : decodeCursor(cursor, status);
    const partition =
      status === undefined
        ? { IndexName: LIST_INDEX.all, name: 'itemType', value: 'request' }
        : { IndexName: LIST_INDEX.byStatus, name: 'outcome', value: status };
    // One more than a page: whether anything follows is then known, not guessed.
    const want = limit + 1;
    const items: RequestItem[] = [];
    do {
      let out: QueryCommandOutput;
      try {
        out = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: partition.IndexName,
            KeyConditionExpression: '#p = :p',
            ExpressionAttributeNames: { '#p': partition.name },
            ExpressionAttributeValues: { ':p': partition.value },
            ScanIndexForward: false,
            Limit: want - items.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
      } catch (error) {
        throw toDomainError(error, `ledger Query ${this.tableName} ${partition.IndexName}`);
      }
      items.push(...((out.Items ?? []) as RequestItem[]));
      start = out.LastEvaluatedKey as IndexKey | undefined;
      // A page under 1 MB holds them all; a larger one ends early with a LastEvaluatedKey: read on.
    } while (start && items.length < want);
    const page = items.slice(0, limit);
    const last = page.at(-1);
    return items.length > limit && last
      ? { items: page, next: encodeCursor(status, keyOf(last, status)) }
      : { items: page };
  }
}
