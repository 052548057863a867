import type { ApprovalView } from '../approvals/approvals.ts';
import type { ExecutionOutcome, OnboardingStatus } from '../execution/outcome.ts';
import type { TimelineChange, TimelineStep } from '../execution/timeline.ts';
import type { ListedRequest } from '../ledger/list.ts';
import { REPORT_STATE, UNDO_STATES } from '../steps/index.ts';

/**
 * How the CLI shows an execution's outcome (src/execution/outcome.ts) to a person: the live lines of
 * `onboard run` as each step ends, the timeline of `onboard status`, and how it ended.
 */

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (useColor ? `\u001b[${code}m${s}\u001b[0m` : s);
export const green = paint('32');
export const red = paint('31');
export const yellow = paint('33');
export const dim = paint('2');
export const bold = paint('1');

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const NAME_WIDTH = 28;
const isRollback = (state: string) => UNDO_STATES.includes(state) || state === REPORT_STATE;

/**
 * One step. `attempts` adds the number of attempts of a retried step, for a view that did not show
 * each retry as it happened (`onboard status`).
 */
export function renderStep(step: TimelineStep, options: { attempts?: boolean } = {}): string {
  const name = step.state.padEnd(NAME_WIDTH);
  const took = step.durationMs !== undefined ? dim(formatMs(step.durationMs).padStart(8)) : ''.padStart(8);
  const tried =
    options.attempts && step.attempts > 1
      ? `  ${yellow(`${step.attempts} attempts, last ${step.error ?? 'error'}`)}`
      : '';
  const why = step.message ? `: ${step.message}` : '';
  switch (step.status) {
    case 'succeeded':
      return `  ${isRollback(step.state) ? yellow('↩') : green('✓')} ${name}${took}${tried}${step.detail ? `  ${dim(step.detail)}` : ''}`;
    case 'failed':
      return `  ${red('✗')} ${name}${took}  ${red(step.error ?? 'failed')}${why}`;
    case 'stopped':
      return `  ${yellow('■')} ${name}${took}  ${yellow('stopped')}`;
    case 'running':
      return `  ${yellow('…')} ${name}${took}${tried}`;
  }
}

/**
 * The live line of `onboard run` for a change of its timeline: a retry as it happens, a step as it
 * ends. Choice and Fail states print nothing: the outcome below says how the execution ended.
 */
export function renderChange(change: TimelineChange): string | undefined {
  if (change.kind === 'retried') {
    const name = change.state.padEnd(NAME_WIDTH);
    return `  ${yellow('↻')} ${name}${''.padStart(8)}  ${yellow(`${change.error ?? 'error'} - retry ${change.retry}`)} ${dim(change.message ?? '')}`;
  }
  if (change.stateType === 'Choice' || change.stateType === 'Fail') return undefined;
  return renderStep(change.step);
}

const STATUS_COLOR: Record<OnboardingStatus, (s: string) => string> = {
  running: yellow,
  succeeded: green,
  'rolled back': red,
  'rollback incomplete': red,
  aborted: red,
  'timed out': red,
};

/** `onboard status`: the status, every step, and how it ended. */
/** A re-run's attempt, and the earlier attempts that rolled back. */
function renderAttempts(outcome: ExecutionOutcome): string[] {
  if (!outcome.attempt || outcome.attempt < 2) return [];
  const earlier = (outcome.previousAttempts ?? []).map(
    (p) => `#${p.attempt} ${p.status.toLowerCase()}${p.error ? ` (${p.error})` : ''}`,
  );
  return [dim(`  attempt ${outcome.attempt}${earlier.length ? `; earlier: ${earlier.join(', ')}` : ''}`)];
}

export function renderReport(outcome: ExecutionOutcome & { approval?: ApprovalView }): string[] {
  return [
    `${bold(outcome.requestId)}  ${STATUS_COLOR[outcome.status](outcome.status)}  ${dim(outcome.executionArn)}`,
    ...renderAttempts(outcome),
    ...outcome.timeline.map((step) => renderStep(step, { attempts: true })),
    ...renderApproval(outcome),
    ...renderOutcome(outcome),
  ];
}

/** Who must approve and how (while it waits), or who decided. */
function renderApproval(outcome: { requestId: string; status: string; approval?: ApprovalView }): string[] {
  const a = outcome.approval;
  if (!a) return [];
  if (a.status === 'pending' && outcome.status === 'running') {
    return [
      yellow(
        `  ⏸ waiting for approval by ${a.approvers.join(' or ')} (asked by ${a.requestedBy}; expires ${a.expiresAt})`,
      ),
      dim(
        `    approve: onboard approve ${outcome.requestId} --as <approver>   deny: add --deny --reason "..."`,
      ),
    ];
  }
  if (a.status === 'approved' || a.status === 'denied') {
    return [
      dim(
        `  ${a.status} by ${a.decidedBy ?? 'someone'} at ${a.decidedAt ?? '?'}${a.reason ? `: ${a.reason}` : ''}`,
      ),
    ];
  }
  if (a.status === 'pending' && Date.parse(a.expiresAt) > Date.now()) {
    // Stopped (or timed out) while it waited: nobody decided, nothing was created.
    return [dim(`  the execution ended while it waited for an approval by ${a.approvers.join(' or ')}`)];
  }
  return [dim(`  the approval expired at ${a.expiresAt}: nobody approved it`)];
}

function renderCreated(outcome: ExecutionOutcome, took: string): string[] {
  const c = outcome.created ?? {};
  const lines = [
    '',
    green(bold(`Onboarded in ${took}.`)),
    `  user          ${c.CreateUser?.userArn ?? ''}`,
    `  group         ${c.EnsureGroup?.groupName ?? ''}${c.EnsureGroup?.created ? ' (created)' : ' (existing)'}`,
  ];
  const group = c.AttachGroupPolicies;
  if (group?.attached?.length) {
    lines.push(
      group.driftRepair
        ? `  attached      ${group.attached.join(', ')} to existing group (drift repair)`
        : `  attached      ${group.attached.join(', ')} to the new group`,
    );
  }
  if (c.AttachUserPolicies?.attached?.length)
    lines.push(`  user policies ${c.AttachUserPolicies.attached.join(', ')}`);
  for (const r of c.EnsureServiceLinkedRoles?.roles ?? []) {
    lines.push(`  service role  ${r.roleName}${r.created ? ' (created)' : ' (existing)'}`);
  }
  const key = c.CreateAccessKey;
  if (key && !key.skipped && key.secretArn) {
    lines.push(`  access key    ${key.accessKeyId}`, `  secret        ${key.secretArn}`);
    lines.push(
      dim(
        '  (the secret access key is in Secrets Manager, readable by the user only; it is shown nowhere else)',
      ),
    );
  } else if (key && !key.skipped) {
    // Delivered in the hand-over: encrypted to the member's own age key, never stored in plain text.
    lines.push(
      `  access key    ${key.accessKeyId}`,
      '  secret        in the hand-over, encrypted to the member',
    );
    lines.push(
      dim(
        `  (the member opens it with their own key: onboard reveal ${outcome.requestId} --identity <key file>)`,
      ),
    );
  }
  return lines;
}

const ENDED: Record<Exclude<OnboardingStatus, 'running' | 'succeeded'>, (took: string) => string> = {
  'rolled back': (took) => `Onboarding failed (${took}).`,
  'rollback incomplete': (took) => `Onboarding failed and the rollback is INCOMPLETE (${took}).`,
  aborted: (took) => `Onboarding aborted after ${took}: no rollback ran.`,
  'timed out': (took) => `Onboarding timed out after ${took}: no rollback ran.`,
};

/** How it ended: what was created, or the failure and what was rolled back, kept or left behind. */
export function renderOutcome(outcome: ExecutionOutcome): string[] {
  const took = formatMs(outcome.durationMs ?? 0);
  if (outcome.status === 'running')
    return ['', yellow(bold(`Still running (started ${outcome.startedAt}).`))];
  if (outcome.status === 'succeeded') return renderCreated(outcome, took);
  const lines = ['', red(bold(ENDED[outcome.status](took)))];
  const failure = outcome.failure;
  if (failure && 'failedStep' in failure) {
    lines.push(
      `  failed step   ${failure.failedStep}`,
      `  error         ${failure.error}: ${failure.message}`,
    );
    lines.push(
      `  rolled back   ${failure.rolledBack.length ? failure.rolledBack.map((r) => r.detail).join('; ') : 'nothing was created'}`,
    );
    if (failure.kept.length) lines.push(`  kept          ${failure.kept.map((k) => k.detail).join('; ')}`);
    if (failure.leftBehind.length) {
      lines.push(
        red(
          `  LEFT BEHIND   ${failure.leftBehind.map((l) => `${l.step}: ${l.error} ${l.message}`).join('; ')}`,
        ),
      );
    }
  } else if (failure) {
    lines.push(`  error         ${failure.error}: ${failure.message}`);
  }
  return lines;
}

/** Who asked, in a few words: `jira via the HTTP API (signature)`, `onboard start (ada)`. */
export function renderRequestedBy(by: ListedRequest['requestedBy']): string {
  if (!by) return 'unknown';
  if (by.channel === 'cli') return by.identity ?? 'the CLI';
  return `${by.source ?? 'generic'} via the HTTP API${by.auth ? ` (${by.auth})` : ''}`;
}

const STATUS_PAINT: Record<OnboardingStatus, (s: string) => string> = {
  running: yellow,
  succeeded: green,
  'rolled back': red,
  'rollback incomplete': red,
  aborted: yellow,
  'timed out': yellow,
};

/** `onboard list`: one row per request, newest first, padded before painting so the columns align. */
export function renderListing(rows: readonly ListedRequest[]): string[] {
  const header = ['REQUEST', 'STATUS', 'USER', 'PROFILE', 'STARTED', 'ATTEMPTS', 'REQUESTED BY'];
  const cells = rows.map((r) => [
    r.requestId,
    r.status,
    r.userName ?? '-',
    r.profile ?? '-',
    r.startedAt.replace(/\.\d{3}Z$/, 'Z'),
    String(r.attempts),
    renderRequestedBy(r.requestedBy),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[], paintStatus = false) =>
    c
      .map((v, i) => {
        const padded = i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0);
        return paintStatus && i === 1
          ? (STATUS_PAINT[v as OnboardingStatus] ?? ((s: string) => s))(padded)
          : padded;
      })
      .join('  ');
  return [dim(line(header)), ...cells.map((c) => line(c, true))];
}
