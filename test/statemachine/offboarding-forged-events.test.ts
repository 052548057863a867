import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as contain from '../../functions/offboard-contain.ts';
import * as remove from '../../functions/offboard-remove.ts';
import { startLocalOffboarding } from '../../src/local/offboarding.ts';
import { stackStepFunctions } from '../../src/local/onboarding.ts';
import type { Stack } from '../../src/local/stack.ts';
import { DynamoOffboardingStore } from '../../src/offboarding/ledger.ts';
import { parseOffboardingRequest } from '../../src/offboarding/request.ts';
import { readAccount } from '../helpers/account.ts';
import { giveEverything, hire } from '../helpers/leaver.ts';
import { config, iamOf, onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';

/**
 * The offboarding's Lambdas can be invoked by anyone with lambda:InvokeFunction: a forged event (a
 * snapshot of the caller's making, an execution that is not in that state, another state machine's
 * execution) is refused with a clear error and changes nothing. The handlers are built as the runner
 * builds them, each with its own function's clients.
 */

let stack: Stack;
beforeEach(async () => {
  stack = await openTestStack();
  await stackStepFunctions(stack);
});
afterEach(() => stack.close());

const handlers = <M extends { make: (deps: () => never) => unknown }>(mod: M, fn: string) =>
  mod.make((() => stack.offboardingDeps(fn)) as () => never) as ReturnType<M['make']>;

const request = parseOffboardingRequest({ requestId: 'OFF-9', userName: 'leaver', gracePeriodDays: 0 });

/** A snapshot as Snapshot would return it, read by the test itself. */
async function snapshotOf(userName: string) {
  const { takeSnapshot } = await import('../../src/offboarding/phases.ts');
  return takeSnapshot(userName, stack.offboardingDeps('test'));
}

describe('a forged offboarding event', () => {
  it('cannot remove a user through an execution that does not exist, or one of the onboarding machine', async () => {
    await giveEverything(stack, 'leaver', { otherGroupPath: config.groupPath });
    const before = await readAccount(iamOf(stack), secretsOf(stack));
    const snapshot = await snapshotOf('leaver');
    const { handler } = handlers(remove, 'offboardRemove');
    const offboardingExecution = `${stack.offboardingStateMachineArn.replace(':stateMachine:', ':execution:')}:OFF-9`;
    const onboardingExecution = `${stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:HR-leaver`;

    const none = await handler({ request, snapshot, execution: offboardingExecution }).catch((e: Error) => e);
    const other = await handler({ request, snapshot, execution: onboardingExecution }).catch((e: Error) => e);

    expect(none).toBeInstanceOf(Error);
    expect((other as Error).name).toBe('ForgedInvocation');
    expect((other as Error).message).toMatch(/not an execution of this stack's state machine/);
    expect(await readAccount(iamOf(stack), secretsOf(stack))).toEqual(before);
  });

  it('cannot contain a user of its choosing through a real execution that is not in Contain', async () => {
    await giveEverything(stack, 'leaver', { otherGroupPath: config.groupPath });
    // A real offboarding of someone else waits in its grace period: its execution exists and is past Contain.
    expect((await onboard(stack, hire('HR-other', 'other'))).status).toBe('SUCCEEDED');
    const running = await startLocalOffboarding(
      stack,
      parseOffboardingRequest({ requestId: 'OFF-10', userName: 'other', gracePeriodDays: 7 }),
      { retryDelayMs: 1 },
    );
    const execution = running.executionArn;
    const ledger = new DynamoOffboardingStore(stack.clients('test').dynamodb, stack.ledgerTable.tableName);
    for (let i = 0; i < 500 && (await ledger.get('OFF-10'))?.phase !== 'grace'; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const before = await readAccount(iamOf(stack), secretsOf(stack));
    const { handler } = handlers(contain, 'offboardContain');
    const forged = await handler({
      request: { ...request, requestId: 'OFF-10' },
      snapshot: await snapshotOf('leaver'),
      execution,
    }).catch((e: Error) => e);

    // The execution is not in Contain: refused each time (a genuine task whose state entry lags would
    // be retried on this answer), and nothing changed.
    expect((forged as Error).name).toBe('NotYetVisible');
    expect((forged as Error).message).toMatch(/is in state GracePeriod, not Contain/);
    expect(await readAccount(iamOf(stack), secretsOf(stack))).toEqual(before);
    running.abort();
  });
});
