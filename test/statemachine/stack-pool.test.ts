import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetUserCommand } from '@aws-sdk/client-iam';
import { afterAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../src/local/stack.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { iamOf, onboard, testStackPool } from '../helpers/local-stack.ts';

/** The fault matrix's recycled stacks (test/helpers/local-stack.ts): as fresh as a new one. */

const pool = testStackPool();
afterAll(() => pool.close());

const request = {
  requestId: 'HR-POOL',
  userName: 'pooled',
  profile: 'data-engineers',
  contact: { recipient: TEST_HIRE_RECIPIENT },
};

const ledgerItems = async (stack: Stack) =>
  (await stack.clients('test').dynamodb.send(new ScanCommand({ TableName: stack.ledgerTable.tableName })))
    .Items ?? [];

describe('a recycled test stack', () => {
  it('has the account, faults, counts, ledger and executions of a fresh one, on the same servers', async () => {
    let first: Stack | undefined;
    await pool.use(async (stack) => {
      first = stack;
      stack.emulator?.faults.add({
        action: 'GetGroup',
        service: 'iam',
        kind: 'error',
        error: 'ServiceFailure',
        count: 1,
      });
      const result = await onboard(stack, request);
      expect(result.status).toBe('SUCCEEDED');
      expect((await ledgerItems(stack)).length).toBeGreaterThan(0);
    });
    await pool.use(async (stack) => {
      expect(stack).toBe(first);
      expect(stack.emulator?.faults.list()).toEqual([]);
      expect(stack.emulator?.calls()).toEqual([]);
      expect(await ledgerItems(stack)).toEqual([]);
      await expect(iamOf(stack).send(new GetUserCommand({ UserName: 'pooled' }))).rejects.toThrow(
        /cannot be found/,
      );
      // The same request id starts a new execution, on a fresh local Step Functions: not the old one.
      const again = await onboard(stack, request);
      expect(again.status).toBe('SUCCEEDED');
      expect(again.events.some((e) => e.type === 'StateRetried')).toBe(false);
    });
  });
});
