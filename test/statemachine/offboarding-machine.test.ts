import { AddUserToGroupCommand, CreateUserCommand, type IAMClient } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containPolicyArn, secretNameFor } from '../../src/config.ts';
import { SdkLeaverGateway } from '../../src/gateways/leaver.ts';
import { restoreOnStack, runLocalOffboarding, startLocalOffboarding } from '../../src/local/offboarding.ts';
import { principalKeyId, type Stack } from '../../src/local/stack.ts';
import { DynamoOffboardingStore, type OffboardingRecord } from '../../src/offboarding/ledger.ts';
import { parseOffboardingRequest } from '../../src/offboarding/request.ts';
import { readAccount } from '../helpers/account.ts';
import { giveEverything, hire } from '../helpers/leaver.ts';
import { config, iamOf, onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';

/**
 * The offboarding state machine (statemachine/offboarding.asl.yaml) on the embedded stack, every task
 * its Lambda handler signing as its own role: contained, a grace period a restore answers, restored
 * exactly; removed in a second offboarding, verified gone, groups and policies left for the others; a
 * failed removal leaves the user contained and names what is left; a user this stack did not onboard
 * is refused with nothing changed. The account is read as a whole after each phase.
 */

let stack: Stack;
const CONTAIN_ARN = containPolicyArn(config, 'arn:aws:iam::000000000000:');
let iam: IAMClient;
beforeEach(async () => {
  stack = await openTestStack();
  iam = iamOf(stack);
});
afterEach(() => stack.close());

const offboarding = (requestId: string, userName: string, gracePeriodDays: number) =>
  parseOffboardingRequest({ requestId, userName, gracePeriodDays, requestedBy: 'hr@example.com' });

const ledger = () => new DynamoOffboardingStore(stack.clients('test').dynamodb, stack.ledgerTable.tableName);

async function untilPhase(requestId: string, phase: OffboardingRecord['phase']) {
  for (let i = 0; i < 500; i++) {
    const record = await ledger().get(requestId);
    if (record?.phase === phase) return record;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`offboarding ${requestId} never reached ${phase}`);
}

const leaver = (stack: Stack) => new SdkLeaverGateway(iamOf(stack)).inventory('leaver');
const statuses = (s: Awaited<ReturnType<typeof leaver>>) =>
  [
    ...(s?.accessKeys ?? []),
    ...(s?.sshPublicKeys ?? []),
    ...(s?.signingCertificates ?? []),
    ...(s?.serviceSpecificCredentials ?? []),
  ].map((c) => c.status);

/** Who may make which calls: every function's calls were among those it declares (its role's). */
function callers() {
  return Object.keys(stack.emulator?.callsByCaller() ?? {}).sort();
}

describe('the offboarding state machine', () => {
  it('contains at once, restores exactly on request during the grace period, then removes and verifies', async () => {
    await giveEverything(stack, 'leaver', { otherGroupPath: config.groupPath });
    expect((await onboard(stack, hire('HR-stayer', 'stayer'))).status).toBe('SUCCEEDED');
    await iam.send(new AddUserToGroupCommand({ UserName: 'stayer', GroupName: 'analysts' }));
    const before = await readAccount(iam, secretsOf(stack));
    const activeBefore = statuses(await leaver(stack));
    expect(activeBefore).toEqual(['Active', 'Active', 'Active', 'Active', 'Active']);

    // Contained, then waiting in the grace period.
    const running = await startLocalOffboarding(stack, offboarding('OFF-1', 'leaver', 7), {
      retryDelayMs: 1,
    });
    const grace = await untilPhase('OFF-1', 'grace');
    expect(grace.snapshot?.accessKeys).toHaveLength(2);
    expect(grace.containment?.deactivated).toHaveLength(5);
    expect(JSON.stringify(grace)).not.toMatch(/taskToken/);
    const contained = await leaver(stack);
    expect(statuses(contained)).toEqual(['Inactive', 'Inactive', 'Inactive', 'Inactive', 'Inactive']);
    expect(contained?.attachedPolicies).toContain(CONTAIN_ARN);
    expect(contained?.loginProfile).toBe(false);

    // A rehire of the name meanwhile is refused, naming the offboarding and what to do.
    const rehire = await onboard(stack, hire('HR-again', 'leaver'));
    expect(rehire.status).toBe('FAILED');
    expect(rehire.cause).toMatch(
      /leaver.{0,3} is being offboarded \(OFF-1\).*Restore it .*or wait for the removal/,
    );

    // A restore answers the grace period: the execution restores and ends Restored.
    await restoreOnStack(stack, 'test', 'OFF-1', 'manager@example.com');
    const restored = await running.result;
    expect(restored.status, restored.cause).toBe('SUCCEEDED');
    expect(restored.events.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual([
      'ValidateOffboarding',
      'Snapshot',
      'Contain',
      'HasGracePeriod',
      'GracePeriod',
      'Restore',
      'Restored',
    ]);
    expect(statuses(await leaver(stack))).toEqual(activeBefore);
    const afterRestore = await readAccount(iam, secretsOf(stack));
    // Exactly as before, but for the console password (IAM never gives one back: a new one is handed over).
    expect(afterRestore.users.leaver).toEqual({ ...before.users.leaver, loginProfile: false });
    expect({ ...afterRestore, users: { ...afterRestore.users, leaver: undefined } }).toEqual({
      ...before,
      users: { ...before.users, leaver: undefined },
    });
    expect((await ledger().get('OFF-1'))?.phase).toBe('restored');
    // Once: the grace period is over.
    await expect(restoreOnStack(stack, 'test', 'OFF-1', 'manager@example.com')).rejects.toThrow(
      /OFF-1 of leaver is restored, not in its grace period/,
    );

    // A second offboarding, no grace period: everything of the leaver's goes, nothing of anyone else's.
    const { result } = await runLocalOffboarding(offboarding('OFF-2', 'leaver', 0), {
      config,
      stack,
      retryDelayMs: 1,
    });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual([
      'ValidateOffboarding',
      'Snapshot',
      'Contain',
      'HasGracePeriod',
      'Remove',
      'Verify',
      'Removed',
    ]);
    const after = await readAccount(iam, secretsOf(stack));
    expect(after.users.leaver).toBeUndefined();
    expect(after.users.stayer).toEqual(before.users.stayer);
    expect(Object.keys(after.groups).sort()).toEqual(Object.keys(before.groups).sort());
    for (const [name, group] of Object.entries(after.groups)) {
      expect(group.members, name).toEqual((before.groups[name]?.members ?? []).filter((m) => m !== 'leaver'));
    }
    expect(after.secrets[secretNameFor(config, 'leaver')]).toBeUndefined();
    expect(after.secrets[secretNameFor(config, 'stayer')]).toBeDefined();
    expect((await ledger().get('OFF-2'))?.phase).toBe('removed');
    // Every function signed as itself, and the test's own calls are the only others.
    expect(callers()).toContain(principalKeyId('offboardRemove'));
  });

  it('leaves a failed removal contained, names what is left, and a second offboarding finishes it', async () => {
    await giveEverything(stack, 'leaver', { otherGroupPath: config.groupPath });
    await stack.addFaults([
      {
        action: 'DeleteSSHPublicKey',
        kind: 'error',
        error: 'AccessDenied',
        count: 'always',
        caller: principalKeyId('offboardRemove'),
      },
    ]);
    const { result } = await runLocalOffboarding(offboarding('OFF-3', 'leaver', 0), {
      config,
      stack,
      retryDelayMs: 1,
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OffboardingIncomplete');
    expect(result.cause).toMatch(/stays contained/);
    expect(result.cause).toMatch(/SSH key /);
    expect(result.cause).toContain(`attached policy ${CONTAIN_ARN}`);
    const still = await leaver(stack);
    expect(still?.attachedPolicies).toContain(CONTAIN_ARN);
    expect(statuses(still).every((s) => s === 'Inactive')).toBe(true);

    stack.emulator?.faults.clear();
    const again = await runLocalOffboarding(offboarding('OFF-4', 'leaver', 0), {
      config,
      stack,
      retryDelayMs: 1,
    });
    expect(again.result.status, again.result.cause).toBe('SUCCEEDED');
    expect(await leaver(stack)).toBeUndefined();
  });

  it('refuses a user this stack did not onboard, with nothing changed', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'hand-made', Path: config.userPath }));
    const before = await readAccount(iam, secretsOf(stack));
    const { result } = await runLocalOffboarding(offboarding('OFF-5', 'hand-made', 0), {
      config,
      stack,
      retryDelayMs: 1,
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OffboardingRefused');
    expect(result.cause).toMatch(/was not onboarded by this stack.*nothing changed/);
    expect(await readAccount(iam, secretsOf(stack))).toEqual(before);
  });

  it('rejects a malformed request before anything is read', async () => {
    const { result } = await runLocalOffboarding(
      { requestId: 'OFF-6', userName: 'a b', gracePeriodDays: 500 } as never,
      { config, stack, retryDelayMs: 1 },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidRequest');
    expect(result.cause).toMatch(/userName: .*gracePeriodDays: must be at most 90 days/);
  });
});
