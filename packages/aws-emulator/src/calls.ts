import type { FaultKind } from './faults.ts';

/** What the emulator answered, per service and action: for tests' assertions and the benchmarks. */
export interface CallStats {
  service: string;
  action: string;
  calls: number;
  ok: number;
  errors: number;
  /** Answers by outcome: "ok", or the error code (injected or not). */
  outcomes: Record<string, number>;
  /** Faults fired, by kind (a lost response counts here, and under its call's outcome). */
  faults: Partial<Record<FaultKind, number>>;
}

export class CallCounter {
  private readonly stats = new Map<string, CallStats>();

  /** Counts one call; the returned record takes its outcome and faults. */
  start(service: string, action: string): CallStats {
    const k = `${service}:${action}`;
    let s = this.stats.get(k);
    if (!s) {
      s = { service, action, calls: 0, ok: 0, errors: 0, outcomes: {}, faults: {} };
      this.stats.set(k, s);
    }
    s.calls++;
    return s;
  }

  static outcome(s: CallStats, code: string | undefined): void {
    if (code === undefined) s.ok++;
    else s.errors++;
    const name = code ?? 'ok';
    s.outcomes[name] = (s.outcomes[name] ?? 0) + 1;
  }

  static fault(s: CallStats, kind: FaultKind): void {
    s.faults[kind] = (s.faults[kind] ?? 0) + 1;
  }

  /** A copy: callers may keep it as a "before" to compare with. */
  list(): CallStats[] {
    return [...this.stats.values()].map((s) => ({
      ...s,
      outcomes: { ...s.outcomes },
      faults: { ...s.faults },
    }));
  }

  clear(): void {
    this.stats.clear();
  }
}
