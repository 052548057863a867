import { describe, expect, it } from 'vitest';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import {
  InvalidBatchError,
  MAX_BATCH_ROWS,
  parseRoster,
  rowsOfJson,
  validateBatch,
} from '../../src/batch.ts';
import { parseOnboardingConfig } from '../../src/config.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';

const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
const R = TEST_HIRE_RECIPIENT;
const row = (id: string, userName: string, over: Record<string, unknown> = {}) => ({
  requestId: id,
  userName,
  profile: 'developers',
  contact: { recipient: R },
  ...over,
});

function refusal(fn: () => unknown): InvalidBatchError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidBatchError) return error;
    throw error;
  }
  throw new Error('expected the batch to be refused');
}

describe('a CSV roster', () => {
  it('reads a header of request fields, dotted for nested ones, policyArns split, quotes kept', () => {
    const csv = [
      'requestId,userName,profile,policyArns,contact.recipient,tags.team',
      `HR-1,ada,developers,arn:aws:iam::aws:policy/AWSCodeCommitPowerUser,${R},"analytics, north"`,
      '',
      `HR-2,grace,developers,,${R},"say ""hi"""`,
    ].join('\r\n');
    expect(parseRoster(csv, 'csv')).toEqual([
      {
        requestId: 'HR-1',
        userName: 'ada',
        profile: 'developers',
        policyArns: ['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser'],
        contact: { recipient: R },
        tags: { team: 'analytics, north' },
      },
      {
        requestId: 'HR-2',
        userName: 'grace',
        profile: 'developers',
        contact: { recipient: R },
        tags: { team: 'say "hi"' },
      },
    ]);
  });

  it('refuses an empty roster, a header naming a column twice, and an unclosed quote', () => {
    expect(refusal(() => parseRoster('', 'csv')).issues[0]?.message).toMatch(
      /the roster is empty: a header line/,
    );
    expect(refusal(() => parseRoster('userName,userName\na,b', 'csv')).issues[0]?.message).toBe(
      'column userName is named twice',
    );
    expect(refusal(() => parseRoster('userName\n"ada', 'csv')).issues[0]?.message).toMatch(
      /quoted field never ends/,
    );
  });
});

describe('validating a batch', () => {
  it('answers the validated requests, in roster order, when every row is good', () => {
    const requests = validateBatch([row('HR-1', 'ada'), row('HR-2', 'grace'), row('HR-3', 'linus')], config);
    expect(requests.map((r) => [r.requestId, r.userName])).toEqual([
      ['HR-1', 'ada'],
      ['HR-2', 'grace'],
      ['HR-3', 'linus'],
    ]);
  });

  it('refuses the whole batch naming every bad row, its field and the fix', () => {
    const error = refusal(() =>
      validateBatch(
        [
          row('HR-1', 'ada'),
          row('HR-2', 'bad name!'),
          row('HR-3', 'linus', { profile: 'wizards' }),
          row('HR-1', 'ada'),
          parseRoster('requestId,userName\nHR-5,a,extra', 'csv')[0],
        ],
        config,
      ),
    );
    expect(error.issues.map((i) => [i.row, i.requestId, i.path])).toEqual([
      [2, 'HR-2', 'userName'],
      [3, 'HR-3', 'profile'],
      [4, 'HR-1', 'requestId'],
      [4, 'HR-1', 'userName'],
      [5, undefined, '(line)'],
    ]);
    expect(error.issues[3]?.message).toBe(
      "ada is also row 1's: one hire per row, each with its own userName",
    );
    expect(error.issues[4]?.message).toMatch(/has 3 fields, the header 2: quote a value that holds a comma/);
    expect(error.message.split('\n')[0]).toBe('invalid batch: 4 rows refused, nothing was started');
    expect(error.message).toContain('  row 2 (HR-2): userName: ');
  });

  it('refuses a callback URL off the stage allowlist, an empty batch, and one too large', () => {
    const error = refusal(() =>
      validateBatch(
        [row('HR-1', 'ada', { contact: { recipient: R, callbackUrl: 'https://evil.example.com/x' } })],
        config,
        {
          stage: 'prod',
          allowedHosts: ['tickets.example.com'],
        },
      ),
    );
    expect(error.issues).toEqual([
      expect.objectContaining({ row: 1, requestId: 'HR-1', path: 'contact.callbackUrl' }),
    ]);
    expect(refusal(() => validateBatch([], config)).issues[0]?.message).toMatch(/no rows/);
    const many = Array.from({ length: MAX_BATCH_ROWS + 1 }, (_, i) => row(`HR-${i}`, `u${i}`));
    expect(refusal(() => validateBatch(many, config)).issues[0]?.message).toBe(
      `${MAX_BATCH_ROWS + 1} rows, at most ${MAX_BATCH_ROWS} in one batch: split the roster`,
    );
  });

  it('takes a JSON array or { onboardings: [...] } only', () => {
    expect(rowsOfJson([1])).toEqual([1]);
    expect(rowsOfJson({ onboardings: [1] })).toEqual([1]);
    for (const bad of [{}, { onboardings: [], extra: 1 }, 'x', null]) {
      expect(() => rowsOfJson(bad)).toThrow(InvalidBatchError);
    }
  });
});
