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

/** Which calls to count: all of them, or (`caller`) those signed with one access key id. */
export interface CallFilter {
  caller?: string;
}

/** One call being answered: its outcome and its faults count in the totals and under its caller. */
export interface CallRecord {
  outcome(code: string | undefined): void;
  fault(kind: FaultKind): void;
}

type Table = Map<string, CallStats>;

function entry(table: Table, service: string, action: string): CallStats {
  const k = `${service}:${action}`;
  let s = table.get(k);
  if (!s) {
    s = { service, action, calls: 0, ok: 0, errors: 0, outcomes: {}, faults: {} };
    table.set(k, s);
  }
  return s;
}

/** A copy: callers may keep it as a "before" to compare with. */
const copy = (table: Table): CallStats[] =>
  [...table.values()].map((s) => ({ ...s, outcomes: { ...s.outcomes }, faults: { ...s.faults } }));

export class CallCounter {
  private readonly totals: Table = new Map();
  /** The same counts per access key id that signed the calls; unsigned calls are in the totals only. */
  private readonly callers = new Map<string, Table>();

  /** Counts one call, in the totals and under its caller if it was signed. */
  start(service: string, action: string, caller?: string): CallRecord {
    const records = [entry(this.totals, service, action)];
    if (caller !== undefined) {
      let table = this.callers.get(caller);
      if (!table) {
        table = new Map();
        this.callers.set(caller, table);
      }
      records.push(entry(table, service, action));
    }
    for (const s of records) s.calls++;
    return {
      outcome(code) {
        const name = code ?? 'ok';
        for (const s of records) {
          if (code === undefined) s.ok++;
          else s.errors++;
          s.outcomes[name] = (s.outcomes[name] ?? 0) + 1;
        }
      },
      fault(kind) {
        for (const s of records) s.faults[kind] = (s.faults[kind] ?? 0) + 1;
      },
    };
  }

  /** Every call, or one caller's; in the order each service and action was first called. */
  list(filter: CallFilter = {}): CallStats[] {
    if (filter.caller === undefined) return copy(this.totals);
    const table = this.callers.get(filter.caller);
    return table ? copy(table) : [];
  }

  /** Each caller's calls, by access key id, in the order the callers first called. */
  byCaller(): Record<string, CallStats[]> {
    return Object.fromEntries([...this.callers].map(([caller, table]) => [caller, copy(table)]));
  }

  clear(): void {
    this.totals.clear();
    this.callers.clear();
  }
}
