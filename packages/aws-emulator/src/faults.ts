/**
 * Fault injection, per service and action ('*' for any): errors for the next N calls (or always,
 * after letting some through), lost answers (the change is applied, the answer dropped), latency,
 * and a rate limit answering Throttling beyond R requests per second; each for every caller or for
 * the calls signed with one access key id.
 */

type Count = number | 'always';

export type FaultKind = FaultSpec['kind'];

/** Which calls a fault applies to: an action ('*' for any), optionally of one service and one caller. */
export interface FaultScope {
  action: string;
  /** One service: `iam`, `sts`, `secretsmanager`, or a registered one. */
  service?: string;
  /**
   * One caller: the access key id the call was signed with (`Credential=AKID/...` in its SigV4
   * `Authorization` header). Without it, the fault applies to every caller, unsigned calls included.
   */
  caller?: string;
}

/** One fault: which calls (its scope), and what happens to them. */
export type FaultSpec = FaultScope &
  (
    | { kind: 'error'; error: string; message?: string; count: Count; after?: number }
    | { kind: 'lost-response'; count: Count; after?: number }
    | { kind: 'latency'; ms: number; count?: Count }
    | { kind: 'rate-limit'; rps: number; burst?: number }
  );

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
  skip: number;
  tokens: number;
  refilled: number;
}

export interface FaultDecision {
  latencyMs: number;
  error?: { code: string; message: string; kind: 'error' | 'rate-limit' };
  loseResponse: boolean;
}

export class FaultController {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    validateFault(spec);
    const count = 'count' in spec ? (spec.count ?? 'always') : 'always';
    const burst = spec.kind === 'rate-limit' ? (spec.burst ?? Math.max(1, spec.rps)) : 0;
    // The bucket starts full: a burst is allowed at once, then the rate.
    this.faults.push({
      spec: { ...spec },
      remaining: count === 'always' ? Number.POSITIVE_INFINITY : count,
      skip: 'after' in spec ? (spec.after ?? 0) : 0,
      tokens: burst,
      refilled: performance.now(),
    });
  }

  list(): (FaultSpec & { remaining: number | 'always' })[] {
    return this.faults.map((f) => ({
      ...f.spec,
      remaining: f.remaining === Number.POSITIVE_INFINITY ? 'always' : f.remaining,
    }));
  }

  clear(): void {
    this.faults = [];
  }

  /** Decides what happens to one call (by its signing key id, if any), consuming counts and tokens. */
  decide(service: string, action: string, caller?: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, loseResponse: false };
    for (const f of this.faults) {
      const { spec } = f;
      if (spec.service && spec.service !== service) continue;
      if (spec.action !== '*' && spec.action !== action) continue;
      // A caller's fault uses its counts and tokens on that caller's calls only.
      if (spec.caller !== undefined && spec.caller !== caller) continue;
      if (spec.kind === 'rate-limit') {
        const t = performance.now();
        const burst = spec.burst ?? Math.max(1, spec.rps);
        f.tokens = Math.min(burst, f.tokens + ((t - f.refilled) / 1000) * spec.rps);
        f.refilled = t;
        if (f.tokens < 1) {
          decision.error ??= { code: 'Throttling', message: 'Rate exceeded', kind: 'rate-limit' };
        } else {
          f.tokens -= 1;
        }
        continue;
      }
      if (f.remaining <= 0) continue;
      if (spec.kind === 'latency') {
        decision.latencyMs += spec.ms;
        f.remaining--;
        continue;
      }
      if (decision.error || decision.loseResponse) continue;
      if (f.skip > 0) {
        f.skip--;
        continue;
      }
      f.remaining--;
      if (spec.kind === 'error') {
        decision.error = {
          code: spec.error,
          message: spec.message ?? `Injected fault: ${spec.error}`,
          kind: 'error',
        };
      } else {
        decision.loseResponse = true;
      }
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return decision;
  }
}

export class InvalidFaultError extends Error {
  override readonly name = 'InvalidFault' as const;
}

export function validateFault(spec: FaultSpec): void {
  if (!spec || typeof spec !== 'object') throw new InvalidFaultError('a fault is a JSON object');
  if (typeof spec.action !== 'string' || !spec.action)
    throw new InvalidFaultError('a fault needs an "action" (or "*")');
  if (spec.service !== undefined && (typeof spec.service !== 'string' || !spec.service))
    throw new InvalidFaultError('"service" is a service name (iam, sts, secretsmanager, ...)');
  if (spec.caller !== undefined && (typeof spec.caller !== 'string' || !spec.caller))
    throw new InvalidFaultError(
      '"caller" is the access key id the calls are signed with (a non-empty string)',
    );
  const after = (spec as { after?: unknown }).after;
  if (after !== undefined && !(Number.isInteger(after) && (after as number) >= 0))
    throw new InvalidFaultError('"after" is a whole number >= 0');
  const count = (spec as { count?: unknown }).count;
  if (count !== undefined && count !== 'always' && !(Number.isInteger(count) && (count as number) > 0)) {
    throw new InvalidFaultError('"count" is a whole number > 0 or "always"');
  }
  switch (spec.kind) {
    case 'error':
      if (typeof spec.error !== 'string' || !spec.error)
        throw new InvalidFaultError('an error fault needs "error" (e.g. Throttling)');
      if (count === undefined) throw new InvalidFaultError('an error fault needs "count"');
      return;
    case 'lost-response':
      if (count === undefined) throw new InvalidFaultError('a lost-response fault needs "count"');
      return;
    case 'latency':
      if (!(typeof spec.ms === 'number' && spec.ms >= 0))
        throw new InvalidFaultError('a latency fault needs "ms" >= 0');
      return;
    case 'rate-limit':
      if (!(typeof spec.rps === 'number' && spec.rps > 0))
        throw new InvalidFaultError('a rate-limit fault needs "rps" > 0');
      if (spec.burst !== undefined && !(typeof spec.burst === 'number' && spec.burst >= 1))
        throw new InvalidFaultError('"burst" is a number >= 1');
      return;
    default:
      throw new InvalidFaultError('"kind" is one of error, lost-response, latency, rate-limit');
  }
}
