import type { OnboardingStatusReader } from '../api/onboardings.ts';
import type { ExecutionOutcome } from '../execution/outcome.ts';
import { outcomeStatusOf, type RequestItem, type RequestLedger } from './items.ts';

/**
 * `GET /onboardings/{id}` after Step Functions has forgotten the execution (90 days): the ledger's
 * record answers instead - the same shape, without the step timeline (that was the history's).
 */

export function outcomeFromLedger(item: RequestItem): ExecutionOutcome {
  const failure = item.failure;
  const status = outcomeStatusOf(item.status, failure);
  const started = item.startedAt ? Date.parse(item.startedAt) : undefined;
  const stopped = item.stoppedAt ? Date.parse(item.stoppedAt) : undefined;
  return {
    requestId: item.requestId,
    executionArn: item.executionArn,
    status,
    startedAt: item.startedAt ?? item.acceptedAt ?? item.updatedAt,
    ...(item.stoppedAt ? { stoppedAt: item.stoppedAt } : {}),
    ...(started !== undefined && stopped !== undefined ? { durationMs: Math.max(0, stopped - started) } : {}),
    timeline: [],
    ...(item.created ? { created: item.created } : {}),
    ...(failure ? { failure } : {}),
  };
}

/** Step Functions first (it has the timeline); the ledger when it has no such execution. */
export class LedgerBackedStatusReader implements OnboardingStatusReader {
  constructor(
    private readonly primary: OnboardingStatusReader,
    private readonly ledger: Pick<RequestLedger, 'get'>,
  ) {}

  async status(requestId: string): Promise<ExecutionOutcome | undefined> {
    const outcome = await this.primary.status(requestId);
    if (outcome) return outcome;
    const item = await this.ledger.get(requestId);
    return item ? outcomeFromLedger(item) : undefined;
  }
}
