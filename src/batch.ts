import type { OnboardingConfig } from './config.ts';
import { ApprovalRequiredError, InvalidRequestError, RequestNotAllowedError } from './errors.ts';
import { type CallbackPolicy, callbackRefusal } from './notifier/callback-policy.ts';
import { type OnboardingRequest, validateRequest } from './request.ts';

/**
 * Batches: many hires in one roster (`onboard run roster.csv|roster.json`, `POST /onboardings/batch`).
 * The choice: **all or nothing up front**. Every row is validated - schema, allowlists, approval,
 * hand-over, callback host, and the rows against each other (a request id or a user name twice) -
 * before anything starts; one bad row refuses the whole batch, naming each bad row, field and fix, and
 * nothing is created. A roster is usually one class of hires prepared together: half of it onboarded
 * and half refused would leave the ticket to sort out which is which. Once every row is valid, each
 * row starts through the same path as a single request (idempotent by request id, a re-run after a
 * clean rollback, the ledger), in roster order; a row refused at start (its request id used for
 * another request) is reported in its row of the summary, the other rows go on.
 */

/** More rows than a person reviews at once; also bounds the API call's time (one start per row). */
export const MAX_BATCH_ROWS = 50;

export interface BatchIssue {
  /** 1-based: the roster's data row (a CSV's header is not counted), or the array's element + 1. */
  row: number;
  requestId?: string;
  path: string;
  message: string;
}

export class InvalidBatchError extends Error {
  override readonly name = 'InvalidBatch' as const;
  constructor(readonly issues: readonly BatchIssue[]) {
    const rows = new Set(issues.map((i) => i.row)).size;
    // One line per issue: the row, its request id, the field and the fix.
    super(
      `invalid batch: ${rows} row${rows === 1 ? '' : 's'} refused, nothing was started\n${issues
        .map((i) => `  row ${i.row}${i.requestId ? ` (${i.requestId})` : ''}: ${i.path}: ${i.message}`)
        .join('\n')}`,
    );
  }
}

/** A roster's text as rows: a CSV with a header line, or JSON (an array, or `{ "onboardings": [...] }`). */
export function parseRoster(text: string, format: 'csv' | 'json'): unknown[] {
  if (format === 'csv') return parseCsvRoster(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidBatchError([
      { row: 0, path: '(file)', message: `not valid JSON: ${(error as Error).message}` },
    ]);
  }
  return rowsOfJson(value);
}

/** `[...]` or `{ "onboardings": [...] }` (the HTTP API's body). */
export function rowsOfJson(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  const o = value as { onboardings?: unknown } | null;
  if (o && typeof o === 'object' && Array.isArray(o.onboardings) && Object.keys(o).length === 1) {
    return o.onboardings;
  }
  throw new InvalidBatchError([
    {
      row: 0,
      path: '(batch)',
      message:
        'a batch is a JSON array of onboarding requests, or { "onboardings": [ ... ] } and nothing else',
    },
  ]);
}

/** RFC 4180: fields split by commas, quoted with `"` (a quote doubled inside), lines by CRLF or LF. */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const body = text.replace(/^\uFEFF/, '');
  while (i < body.length) {
    const c = body[i] as string;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
    i++;
  }
  if (quoted) {
    throw new InvalidBatchError([
      { row: records.length, path: '(file)', message: 'a quoted field never ends: close it with "' },
    ]);
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  // Blank lines carry nothing.
  return records.filter((r) => r.some((f) => f.trim() !== ''));
}

const LIST_COLUMNS = new Set(['policyArns']);

/**
 * A CSV roster: the header names each column by its request field, nested ones dotted (`contact.recipient`,
 * `contact.callbackUrl`, `tags.team`); `policyArns` holds the ARNs separated by spaces or `;`. An empty
 * cell is an absent field.
 */
export function parseCsvRoster(text: string): unknown[] {
  const [header, ...records] = csvRecords(text);
  if (!header) {
    throw new InvalidBatchError([
      {
        row: 0,
        path: '(file)',
        message: 'the roster is empty: a header line (requestId,userName,profile,...) and one line per hire',
      },
    ]);
  }
  const columns = header.map((h) => h.trim());
  const seen = new Set<string>();
  for (const column of columns) {
    if (column === '' || seen.has(column)) {
      throw new InvalidBatchError([
        {
          row: 0,
          path: '(header)',
          message: column === '' ? 'a column has no name' : `column ${column} is named twice`,
        },
      ]);
    }
    seen.add(column);
  }
  return records.map((record, index) => {
    if (record.length !== columns.length) {
      return {
        __csvError: `has ${record.length} fields, the header ${columns.length}: quote a value that holds a comma`,
        row: index + 1,
      };
    }
    const row: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const value = (record[i] ?? '').trim();
      if (value === '') return;
      const path = column.split('.');
      let target = row;
      for (const key of path.slice(0, -1)) {
        const next = target[key];
        target[key] = next && typeof next === 'object' ? next : {};
        target = target[key] as Record<string, unknown>;
      }
      const last = path.at(-1) as string;
      target[last] = LIST_COLUMNS.has(column) ? value.split(/[\s;]+/).filter(Boolean) : value;
    });
    return row;
  });
}

const idOf = (row: unknown) => {
  const id = (row as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'string' ? id : undefined;
};

/**
 * Every row checked as a single request is, plus the rows against each other; any issue refuses the
 * batch (InvalidBatchError, every issue of every row). Otherwise the validated requests, in order.
 */
export function validateBatch(
  rows: readonly unknown[],
  config: OnboardingConfig,
  callbackPolicy?: CallbackPolicy,
): OnboardingRequest[] {
  if (rows.length === 0) {
    throw new InvalidBatchError([
      { row: 0, path: '(batch)', message: 'the batch has no rows: add one hire per row' },
    ]);
  }
  if (rows.length > MAX_BATCH_ROWS) {
    throw new InvalidBatchError([
      {
        row: 0,
        path: '(batch)',
        message: `${rows.length} rows, at most ${MAX_BATCH_ROWS} in one batch: split the roster`,
      },
    ]);
  }
  const issues: BatchIssue[] = [];
  const requests: OnboardingRequest[] = [];
  rows.forEach((raw, index) => {
    const row = index + 1;
    const requestId = idOf(raw);
    const issue = (path: string, message: string) =>
      issues.push({ row, ...(requestId ? { requestId } : {}), path, message });
    const csvError = (raw as { __csvError?: string } | null)?.__csvError;
    if (csvError) {
      issue('(line)', csvError);
      return;
    }
    try {
      const request = validateRequest(raw, config);
      const url = request.contact?.callbackUrl;
      const refusal = url !== undefined && callbackPolicy ? callbackRefusal(url, callbackPolicy) : undefined;
      if (refusal) issue('contact.callbackUrl', refusal);
      else requests.push(request);
    } catch (error) {
      if (error instanceof InvalidRequestError) {
        for (const i of error.issues.length
          ? error.issues
          : [{ path: '(request)', message: error.message }]) {
          issue(i.path || '(request)', i.message);
        }
      } else if (error instanceof RequestNotAllowedError) {
        // The allowlists refuse the profile itself, or the extra policies it may not grant.
        const message = error.message.replace(/^request \S+ is not allowed: /, '');
        issue(/^policy "/.test(message) ? 'policyArns' : 'profile', message);
      } else if (error instanceof ApprovalRequiredError) {
        issue('profile', error.message);
      } else throw error;
    }
  });
  // One hire per row: the same ticket or the same user twice is a mistake in the roster.
  for (const field of ['requestId', 'userName'] as const) {
    const first = new Map<string, number>();
    rows.forEach((raw, index) => {
      const value = (raw as Record<string, unknown> | null)?.[field];
      if (typeof value !== 'string') return;
      const earlier = first.get(value);
      if (earlier === undefined) first.set(value, index + 1);
      else {
        const requestId = idOf(raw);
        issues.push({
          row: index + 1,
          ...(requestId ? { requestId } : {}),
          path: field,
          message: `${value} is also row ${earlier}'s: one hire per row, each with its own ${field}`,
        });
      }
    });
  }
  if (issues.length) throw new InvalidBatchError(issues.sort((a, b) => a.row - b.row));
  return requests;
}
