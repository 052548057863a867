import type { TaskCallbacks } from '../approvals/approvals.ts';
import type { OffboardingStore } from './ledger.ts';

/**
 * A restore request (`onboard restore`, `POST /offboardings/{id}/restore`): during the grace period it
 * answers the waiting task, and the execution's Restore lifts the containment exactly as the snapshot
 * recorded it. Only once: the ledger's phase moves from `grace` to `restore-requested` in one
 * conditional write, and the token goes with it. Outside a grace period it is refused, naming the phase.
 */
export async function requestRestore(
  request: { requestId: string; requestedBy: string },
  deps: {
    offboardings: Pick<OffboardingStore, 'requestRestore'>;
    callbacks: TaskCallbacks;
    now?: () => Date;
  },
): Promise<{ executionArn: string }> {
  const now = deps.now?.() ?? new Date();
  const { executionArn, taskToken } = await deps.offboardings.requestRestore(
    request.requestId,
    request.requestedBy,
    now,
  );
  await deps.callbacks.succeed(taskToken, { restoreRequestedBy: request.requestedBy, at: now.toISOString() });
  return { executionArn };
}
