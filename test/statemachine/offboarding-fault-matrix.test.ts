import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containPolicyArn } from '../../src/config.ts';
import { type LeaverInventory, SdkLeaverGateway } from '../../src/gateways/leaver.ts';
import { restoreOnStack, startLocalOffboarding } from '../../src/local/offboarding.ts';
import type { ExecutionResult } from '../../src/local/runner.ts';
import { principalKeyId, type Stack } from '../../src/local/stack.ts';
import { DynamoOffboardingStore } from '../../src/offboarding/ledger.ts';
import { parseOffboardingRequest } from '../../src/offboarding/request.ts';
import { OFFBOARDING_TASKS } from '../../src/offboarding/tasks.ts';
import { type AwsAction, isRead, serviceOf, verbOf } from '../../src/steps/calls.ts';
import { giveEverything } from '../helpers/leaver.ts';
import { config, iamOf, openTestStack } from '../helpers/local-stack.ts';
import { CALL_FAULTS, type CallFault, LAMBDA_FAULTS, type LambdaFaultKind } from '../helpers/matrix.ts';

/**
 * The offboarding's fault matrix: every IAM and Secrets Manager call each offboarding task declares
 * (src/offboarding/tasks.ts) x every call fault (throttled twice, 5xx twice, 5xx forever, AccessDenied,
 * answer lost), and every task x a Lambda that crashed or timed out after its work, each with its
 * expected outcome. A recoverable fault ends as if nothing happened (removed, or restored); a fault for
 * good ends the execution Failed, and then: at Snapshot nothing changed; at Contain nothing is removed;
 * at Remove the user stays contained (the deny-all on, every credential off) and the cause names what is
 * left; at Restore the user stays denied. Every cell's fault must really fire. The account for each
 * cell is the same leaver with every kind of attachment, seeded from a state file.
 */

const STATE = join(tmpdir(), `offboarding-matrix-${process.pid}.json`);
const CONTAIN_ARN = containPolicyArn(config, 'arn:aws:iam::000000000000:');

/** The tasks on the way to a removal, and Restore, on the way back from a grace period. */
const REMOVE_PATH = ['Snapshot', 'Contain', 'Remove', 'Verify'];
const RESTORE_PATH = ['Restore'];

/**
 * Declared calls this arrangement never makes, and why: anything else declared must be made, so a new
 * declared call cannot escape the matrix.
 */
const NOT_MADE: Record<string, string> = {
  // Verify reads a user that is gone: GetUser answers NoSuchEntity and nothing else is read.
  'Verify iam:GetLoginProfile': 'the user is gone',
  'Verify iam:ListAccessKeys': 'the user is gone',
  'Verify iam:GetAccessKeyLastUsed': 'the user is gone',
  'Verify iam:ListSSHPublicKeys': 'the user is gone',
  'Verify iam:ListSigningCertificates': 'the user is gone',
  'Verify iam:ListServiceSpecificCredentials': 'the user is gone',
  'Verify iam:ListMFADevices': 'the user is gone',
  'Verify iam:ListUserPolicies': 'the user is gone',
  'Verify iam:ListAttachedUserPolicies': 'the user is gone',
  'Verify iam:ListGroupsForUser': 'the user is gone',
  // Read only after an AccessDenied, to tell a user that is gone from a refusal (src/gateways/leaver.ts).
  'Contain iam:GetUser': 'read only after an AccessDenied',
  'Restore iam:GetUser': 'read only after an AccessDenied',
  // Remove deletes the password Contain deleted already: it finds none.
  'Remove iam:DeleteLoginProfile': 'Contain deleted the password',
};

type Expected =
  | 'removed'
  | 'restored'
  | 'nothing changed'
  | 'nothing removed'
  | 'left contained'
  | 'left bare'
  | 'secret left'
  | 'left denied';

interface Cell {
  state: string;
  call?: AwsAction;
  callFault?: CallFault;
  lambdaFault?: LambdaFaultKind;
  expected: Expected;
}

const WHEN_FOR_GOOD: Record<string, Expected> = {
  Snapshot: 'nothing changed',
  Contain: 'nothing removed',
  Remove: 'left contained',
  Verify: 'removed',
  Restore: 'left denied',
};
/**
 * A failure for good at Remove leaves the user contained - but DeleteUser needs the deny-all detached
 * first (it fails on any attached policy), so there the user is left bare: nothing on it, no credential
 * at all. The secret goes after the user: the user is gone, the secret is left and named.
 */
function forGood(state: string, action: AwsAction): Expected {
  if (state === 'Remove' && action === 'iam:DeleteUser') return 'left bare';
  if (state === 'Remove' && serviceOf(action) === 'secretsmanager') return 'secret left';
  return WHEN_FOR_GOOD[state] as Expected;
}
const succeeded = (state: string): Expected => (RESTORE_PATH.includes(state) ? 'restored' : 'removed');

const cells: Cell[] = OFFBOARDING_TASKS.filter((t) =>
  [...REMOVE_PATH, ...RESTORE_PATH].includes(t.state),
).flatMap((task) => [
  ...task.calls
    .filter((c) => ['iam', 'secretsmanager'].includes(serviceOf(c.action)))
    .filter((c) => !NOT_MADE[`${task.state} ${c.action}`])
    .flatMap((c) =>
      CALL_FAULTS.map((f) => ({
        state: task.state,
        call: c.action,
        callFault: f,
        expected: f.recoverable ? succeeded(task.state) : forGood(task.state, c.action),
      })),
    ),
  ...LAMBDA_FAULTS.map((f) => ({ state: task.state, lambdaFault: f, expected: succeeded(task.state) })),
]);

beforeAll(async () => {
  const stack = await openTestStack();
  try {
    await giveEverything(stack, 'leaver', { otherGroupPath: config.groupPath });
    await writeFile(STATE, JSON.stringify(stack.emulator?.snapshot()));
  } finally {
    await stack.close();
  }
}, 60_000);

afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(STATE, { force: true });
});

const functionOf = (state: string) => OFFBOARDING_TASKS.find((t) => t.state === state)?.functionKey ?? '';
const credentials = (s: LeaverInventory | undefined) => [
  ...(s?.accessKeys ?? []),
  ...(s?.sshPublicKeys ?? []),
  ...(s?.signingCertificates ?? []),
  ...(s?.serviceSpecificCredentials ?? []),
];

async function untilGrace(stack: Stack, requestId: string) {
  const store = new DynamoOffboardingStore(stack.clients('test').dynamodb, stack.ledgerTable.tableName);
  for (let i = 0; i < 1000; i++) {
    if ((await store.get(requestId))?.phase === 'grace') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${requestId} never reached its grace period`);
}

async function runCell(cell: Cell) {
  const stack = await openTestStack({ emulatorState: STATE });
  try {
    const iam = iamOf(stack);
    const leaver = () => new SdkLeaverGateway(iam).inventory('leaver');
    const before = await leaver();
    const restorePath = RESTORE_PATH.includes(cell.state);
    const caller = principalKeyId(functionOf(cell.state));
    if (cell.call && cell.callFault) {
      await stack.addFaults([cell.callFault.spec(verbOf(cell.call), serviceOf(cell.call), caller)]);
    }
    const request = parseOffboardingRequest({
      requestId: 'OFF-1',
      userName: 'leaver',
      gracePeriodDays: restorePath ? 7 : 0,
    });
    let reactivated = false;
    const running = await startLocalOffboarding(stack, request, {
      retryDelayMs: 1,
      ...(cell.lambdaFault ? { lambdaFaults: [cell.lambdaFault.fault(cell.state)] } : {}),
      // Someone switched a key on again during the grace period: Remove switches it off before deleting it.
      beforeTask: async (state) => {
        const key = before?.accessKeys[0]?.id;
        if (state === 'Remove' && key && !reactivated) {
          reactivated = true;
          await iam.send(
            new UpdateAccessKeyCommand({ UserName: 'leaver', AccessKeyId: key, Status: 'Active' }),
          );
        }
      },
    });
    if (restorePath) {
      await untilGrace(stack, 'OFF-1');
      await restoreOnStack(stack, 'test', 'OFF-1', 'manager@example.com');
    }
    const result: ExecutionResult = await running.result;
    const after = await leaver();

    // The fault fired: the declared call is really made (or the Lambda really died).
    if (cell.call && cell.callFault) {
      const spec = cell.callFault.spec(verbOf(cell.call), serviceOf(cell.call), caller);
      const made = stack.emulator
        ?.calls({ caller })
        .find(
          (c) =>
            c.service === serviceOf(cell.call as AwsAction) && c.action === verbOf(cell.call as AwsAction),
        );
      expect(made?.faults[spec.kind] ?? 0, 'the fault never fired').toBeGreaterThan(0);
    } else {
      expect(
        result.events.some((e) => e.type === 'StateFailed' && e.state === cell.state),
        'the Lambda fault never fired',
      ).toBe(true);
    }
    // No function made a call it does not declare.
    for (const task of OFFBOARDING_TASKS) {
      const allowed = new Set(task.calls.map((c) => c.action));
      const made = (stack.emulator?.calls({ caller: principalKeyId(task.functionKey) }) ?? []).map(
        (s) => `${s.service}:${s.action}`,
      );
      expect(
        made.filter((a) => !allowed.has(a as AwsAction)),
        `${task.functionKey} made undeclared calls`,
      ).toEqual([]);
    }

    switch (cell.expected) {
      case 'removed':
        if (cell.state === 'Verify' && !cell.callFault?.recoverable && cell.callFault) {
          // Verify could not read: the execution fails, but the user is gone all the same.
          expect(result.status).toBe('FAILED');
        } else expect(result.status, result.cause).toBe('SUCCEEDED');
        expect(after).toBeUndefined();
        break;
      case 'restored':
        expect(result.status, result.cause).toBe('SUCCEEDED');
        expect(credentials(after).map((c) => c.status)).toEqual(credentials(before).map((c) => c.status));
        expect(after?.attachedPolicies).not.toContain(CONTAIN_ARN);
        break;
      case 'nothing changed':
        expect(result.status).toBe('FAILED');
        expect(after).toEqual(before);
        break;
      case 'nothing removed':
        expect(result.status).toBe('FAILED');
        expect(result.error).toBe('OffboardingIncomplete');
        expect(credentials(after).map((c) => c.id)).toEqual(credentials(before).map((c) => c.id));
        expect(after?.groups).toEqual(before?.groups);
        break;
      case 'left contained':
        expect(result.status).toBe('FAILED');
        expect(result.error).toBe('OffboardingIncomplete');
        // A write refused for good names what is left; a read that never answered cannot, and a
        // transient fault that outlasted the retries is the cause as it is.
        if (cell.callFault?.name === 'AccessDenied' && cell.call && !isRead(cell.call)) {
          expect(result.cause).toMatch(/stays contained; left: .*user leaver/);
        }
        expect(after?.attachedPolicies).toContain(CONTAIN_ARN);
        // Nothing switched on again by the offboarding: at most the key someone turned on during the grace
        // period is active (the deny-all refuses it), if Remove failed before it could switch it off.
        expect(
          credentials(after)
            .filter((c) => c.status === 'Active')
            .map((c) => c.id),
        ).toEqual(credentials(after).some((c) => c.status === 'Active') ? [before?.accessKeys[0]?.id] : []);
        break;
      case 'left bare':
        expect(result.status).toBe('FAILED');
        expect(result.error).toBe('OffboardingIncomplete');
        expect(credentials(after)).toEqual([]);
        expect(after).toMatchObject({
          loginProfile: false,
          mfaDevices: [],
          inlinePolicies: [],
          attachedPolicies: [],
          groups: [],
        });
        break;
      case 'secret left':
        expect(result.status).toBe('FAILED');
        expect(result.error).toBe('OffboardingIncomplete');
        expect(after).toBeUndefined();
        if (cell.callFault?.name === 'AccessDenied') {
          expect(result.cause).toMatch(/the user is gone; left: secret .*delete-secret/);
        }
        break;
      case 'left denied':
        expect(result.status).toBe('FAILED');
        expect(result.error).toBe('OffboardingIncomplete');
        expect(after?.attachedPolicies).toContain(CONTAIN_ARN);
        break;
    }
  } finally {
    await stack.close();
  }
}

describe.concurrent('the offboarding fault matrix', () => {
  it('covers every declared call of every task, or says why it is not made', () => {
    for (const task of OFFBOARDING_TASKS.filter((t) => [...REMOVE_PATH, ...RESTORE_PATH].includes(t.state))) {
      for (const c of task.calls.filter((x) => ['iam', 'secretsmanager'].includes(serviceOf(x.action)))) {
        const covered = cells.some((cell) => cell.state === task.state && cell.call === c.action);
        expect(
          covered || NOT_MADE[`${task.state} ${c.action}`] !== undefined,
          `${task.state} ${c.action}`,
        ).toBe(true);
      }
    }
    expect(cells.length).toBeGreaterThan(150);
  });
  for (const cell of cells) {
    const name = `${cell.state} ${cell.call ? `${verbOf(cell.call)} ${cell.callFault?.name}` : cell.lambdaFault?.name}: ${cell.expected}`;
    it(name, () => runCell(cell));
  }
});
