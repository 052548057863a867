import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalDeps, type ApprovalRecord, decideApproval } from '../../src/approvals/approvals.ts';
import { DynamoApprovalStore } from '../../src/approvals/dynamodb.ts';
import { SfnTaskCallbacks } from '../../src/approvals/sfn.ts';
import type { OnboardingConfig } from '../../src/config.ts';
import { loadServerlessFunctions } from '../../src/definition.ts';
import type { ExecutionResult } from '../../src/local/runner.ts';
import { principalKeyId, type Stack } from '../../src/local/stack.ts';
import { isRead } from '../../src/steps/calls.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { type AccountView, readAccount } from '../helpers/account.ts';
import { config, iamOf, onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';

/**
 * The approval gate on the embedded stack, through the real state machine: a privileged request waits
 * in AwaitApproval (`.waitForTaskToken`) with its token in the ledger; a second identity from the
 * profile's approvers lets it go on; a self-approval, a denial and an expiry each end with nothing
 * created (the whole account compared with its pre-image); and a task token answered without the
 * ledger's decision moves nothing forward.
 */

const REQUESTER = 'dave@example.com';
const admin = (requestId: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  userName: `sf-${requestId.toLowerCase()}`,
  requestedBy: REQUESTER,
  profile: 'stepfunctions-admin',
  contact: { recipient: TEST_HIRE_RECIPIENT },
  ...extra,
});

/** The HTTP API's principal decides: its role (serverless.yml) must allow the token's answer. */
function approvalDeps(stack: Stack, cfg: OnboardingConfig = config): ApprovalDeps {
  const clients = stack.clients('httpApi');
  return {
    config: cfg,
    store: new DynamoApprovalStore(clients.dynamodb, stack.ledgerTable.tableName),
    callbacks: new SfnTaskCallbacks(clients.sfn),
  };
}

/** Resolves once AwaitApproval has stored the pending approval (the execution then waits). */
async function pending(stack: Stack, requestId: string): Promise<ApprovalRecord> {
  const store = approvalDeps(stack).store;
  for (let i = 0; i < 2000; i++) {
    const record = await store.get(requestId);
    if (record?.status === 'pending') return record;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${requestId} never waited for an approval`);
}

/** The raw item, token included: what only the server side can read. */
async function rawApprovalItem(stack: Stack, requestId: string) {
  const out = await stack.clients('test').dynamodb.send(
    new GetItemCommand({
      TableName: stack.ledgerTable.tableName,
      Key: { pk: { S: `REQUEST#${requestId}` }, sk: { S: 'APPROVAL' } },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

const FUNCTION_CALLERS = new Set(Object.keys(await loadServerlessFunctions()).map(principalKeyId));

/** Every IAM or Secrets Manager write any function made on this stack. */
function writesMade(stack: Stack): string[] {
  const out: string[] = [];
  for (const [caller, stats] of Object.entries(stack.emulator?.callsByCaller() ?? {})) {
    if (!FUNCTION_CALLERS.has(caller)) continue;
    for (const s of stats) {
      const action = `${s.service}:${s.action}` as `iam:${string}`;
      if (s.service !== 'states' && !isRead(action) && s.action !== 'GetCallerIdentity')
        out.push(`${caller} ${action}`);
    }
  }
  return out;
}

const entered = (result: ExecutionResult) =>
  result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);

describe('the approval gate', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await openTestStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('waits for an approver, and a second identity lets the onboarding go on to success', async () => {
    const run = onboard(stack, admin('HR-A1'));
    const waiting = await pending(stack, 'HR-A1');
    expect(waiting).toMatchObject({
      requester: REQUESTER,
      approvers: ['alice@example.com', 'bob@example.com'],
      profile: 'stepfunctions-admin',
    });
    expect(Date.parse(waiting.expiresAt) - Date.parse(waiting.requestedAt)).toBe(259_200_000);
    // Nothing was read or created while it waits.
    expect(writesMade(stack)).toEqual([]);
    const token = (await rawApprovalItem(stack, 'HR-A1'))?.taskToken?.S ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{64,}$/);

    const decided = await decideApproval(
      { requestId: 'HR-A1', approver: 'Bob@example.com', decision: 'approve', reason: 'on-call lead' },
      approvalDeps(stack),
    );
    expect(decided.approval).toMatchObject({ status: 'approved', decidedBy: 'Bob@example.com' });
    const result = await run;
    expect(result.status).toBe('SUCCEEDED');
    expect(entered(result).slice(0, 4)).toEqual([
      'ValidateRequest',
      'NeedsApproval',
      'AwaitApproval',
      'Plan',
    ]);
    const account = await readAccount(iamOf(stack), secretsOf(stack));
    expect(account.users['sf-hr-a1']?.groups).toEqual(['stepfunctions-admins']);

    // The token is used and gone: not in the ledger any more, never in the execution's state or output.
    expect((await rawApprovalItem(stack, 'HR-A1'))?.taskToken).toBeUndefined();
    expect(JSON.stringify(result.events)).not.toContain(token);
    expect(JSON.stringify(result.output)).not.toContain(token);
    // The first decision stands.
    await expect(
      decideApproval(
        { requestId: 'HR-A1', approver: 'alice@example.com', decision: 'deny' },
        approvalDeps(stack),
      ),
    ).rejects.toMatchObject({ name: 'ApprovalConflict' });
  });

  it('refuses an approver who is not on the profile, and one unknown request id', async () => {
    const run = onboard(stack, admin('HR-A2'));
    await pending(stack, 'HR-A2');
    await expect(
      decideApproval(
        { requestId: 'HR-A2', approver: 'carol@example.com', decision: 'approve' },
        approvalDeps(stack),
      ),
    ).rejects.toMatchObject({
      name: 'ApprovalForbidden',
      message: /not an approver of profile "stepfunctions-admin"/,
    });
    await expect(
      decideApproval(
        { requestId: 'HR-NOPE', approver: 'bob@example.com', decision: 'approve' },
        approvalDeps(stack),
      ),
    ).rejects.toMatchObject({ name: 'ApprovalNotFound' });
    await decideApproval(
      { requestId: 'HR-A2', approver: 'alice@example.com', decision: 'deny' },
      approvalDeps(stack),
    );
    expect((await run).error).toBe('ApprovalDenied');
  });

  it('ends Denied on a denial, naming who and why, with the whole account as it was', async () => {
    const before = await readAccount(iamOf(stack), secretsOf(stack));
    const run = onboard(stack, admin('HR-A3'));
    await pending(stack, 'HR-A3');
    await decideApproval(
      { requestId: 'HR-A3', approver: 'alice@example.com', decision: 'deny', reason: 'not this quarter' },
      approvalDeps(stack),
    );
    const result = await run;
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ApprovalDenied');
    expect(entered(result)).toContain('Denied');
    expect(entered(result)).not.toContain('Plan');
    const cause = JSON.parse(result.cause ?? '{}');
    expect(cause).toMatchObject({ failedStep: 'AwaitApproval', rolledBack: [], leftBehind: [] });
    expect(cause.message).toMatch(/denied by alice@example.com: not this quarter/);
    expect(await readAccount(iamOf(stack), secretsOf(stack))).toEqual(before);
    expect((await approvalDeps(stack).store.get('HR-A3'))?.status).toBe('denied');
  });

  it('stops at Plan when the task token is answered without an approval in the ledger: nothing written', async () => {
    const fresh = await openTestStack();
    try {
      const before = await readAccount(iamOf(fresh), secretsOf(fresh));
      const run = onboard(fresh, admin('HR-A4'));
      await pending(fresh, 'HR-A4');
      // A leaked token, answered straight through Step Functions: the ledger still says pending.
      const token = (await rawApprovalItem(fresh, 'HR-A4'))?.taskToken?.S ?? '';
      await fresh
        .clients('test')
        .sfn.send(
          new SendTaskSuccessCommand({ taskToken: token, output: '{"approvedBy":"bob@example.com"}' }),
        );
      const result = await run;
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('ApprovalRequired');
      expect(JSON.parse(result.cause ?? '{}').failedStep).toBe('Plan');
      expect(entered(result)).not.toContain('CreateUser');
      expect(writesMade(fresh)).toEqual([]);
      expect(await readAccount(iamOf(fresh), secretsOf(fresh))).toEqual(before);
    } finally {
      await fresh.close();
    }
  });
});

describe('the approval gate with a short expiry', () => {
  const shortConfig: OnboardingConfig = { ...config, approval: { expiresAfterSeconds: 2 } };
  let stack: Stack;
  beforeAll(async () => {
    stack = await openTestStack({ config: shortConfig });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('refuses a self-approval (403) and ends Expired when nobody else answers: nothing created', async () => {
    const before: AccountView = await readAccount(iamOf(stack), secretsOf(stack));
    // The requester is one of the profile's approvers: they still may not approve their own request.
    const run = onboard(stack, admin('HR-E1', { requestedBy: 'alice@example.com' }));
    await pending(stack, 'HR-E1');
    await expect(
      decideApproval(
        { requestId: 'HR-E1', approver: 'ALICE@example.com', decision: 'approve' },
        approvalDeps(stack, shortConfig),
      ),
    ).rejects.toMatchObject({ name: 'ApprovalForbidden', message: /cannot approve it/ });
    const result = await run;
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ApprovalExpired');
    expect(entered(result)).toContain('Expired');
    expect(entered(result)).not.toContain('Plan');
    expect(result.events.some((e) => e.type === 'StateFailed' && e.error === 'States.Timeout')).toBe(true);
    expect(JSON.parse(result.cause ?? '{}')).toMatchObject({
      failedStep: 'AwaitApproval',
      error: 'ApprovalExpired',
    });
    expect(writesMade(stack)).toEqual([]);
    expect(await readAccount(iamOf(stack), secretsOf(stack))).toEqual(before);
    // A late approval is refused: the approval expired with its execution.
    await expect(
      decideApproval(
        { requestId: 'HR-E1', approver: 'bob@example.com', decision: 'approve' },
        approvalDeps(stack, shortConfig),
      ),
    ).rejects.toMatchObject({ name: 'ApprovalConflict', message: /expired/ });
  });
});
