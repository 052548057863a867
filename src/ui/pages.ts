import type { ApprovalView } from '../approvals/approvals.ts';
import type { AslDefinition } from '../definition.ts';
import type { ExecutionOutcome, Failure } from '../execution/outcome.ts';
import type { TimelineStep } from '../execution/timeline.ts';
import type { RequestItem } from '../ledger/items.ts';
import { html, type Markup, raw } from './html.ts';
import { type GraphModel, NODE_STATE_LABELS, type NodeState, renderGraphSvg } from './state-graph.ts';

/**
 * The status page's HTML: server-rendered, no script (the CSP forbids any), one stylesheet of our own.
 * Every value is escaped by the `html` tag; colours always come with a word (a label or a glyph).
 */

/** A CSS class from a status ("rolled back" -> status-rolled-back): any new status gets one. */
export const statusClass = (status: string) =>
  `status-${
    status
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'unknown'
  }`;

const badge = (status: string) => html`<span class="badge ${statusClass(status)}">${status}</span>`;

/** Running executions refresh themselves (a meta refresh: no script needed). */
const RUNNING = new Set(['running', 'queued', 'waiting for approval']);

function page(title: string, body: Markup, refreshSeconds?: number): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refreshSeconds ? html`<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<title>${title} · iam-onboarding</title>
<link rel="stylesheet" href="/ui/style.css">
</head>
<body>
<header><a href="/ui" class="home">iam-onboarding</a> <span class="where">status page of <code>onboard serve</code></span></header>
<main>
${body}
</main>
</body>
</html>
`.html;
}

const time = (iso: string | undefined) =>
  iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}</time>` : '';

/** Within one execution the date is the page's: the time of day says enough (UTC, to the ms). */
const clock = (iso: string) => html`<time datetime="${iso}">${iso.slice(11, 23)}</time>`;

const duration = (ms: number | undefined) =>
  ms === undefined ? '' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export interface ListedRequest {
  item: RequestItem;
  /** The ledger's status in the outcome's words (rolled back, rollback incomplete, ...). */
  status: string;
}

export function listPage(requests: readonly ListedRequest[]): string {
  const rows = requests.map(
    ({ item, status }) => html`<tr>
<td><a href="/ui/onboardings/${encodeURIComponent(item.requestId)}">${item.requestId}</a></td>
<td>${item.userName ?? ''}</td>
<td>${item.profile ?? ''}${item.privileged ? html` <span class="tag">privileged</span>` : ''}</td>
<td>${badge(status)}</td>
<td>${item.requestedBy ? `${item.requestedBy.channel}${item.requestedBy.source ? ` (${item.requestedBy.source})` : ''}` : ''}</td>
<td>${time(item.startedAt ?? item.acceptedAt)}</td>
<td>${time(item.stoppedAt)}</td>
</tr>`,
  );
  const body = html`<h1>Recent onboardings</h1>
${
  requests.length === 0
    ? html`<p class="empty">No onboarding yet. Start one with <code>onboard start</code> or a POST to <code>/onboardings</code>.</p>`
    : html`<table class="requests">
<caption>The ${requests.length} most recent requests in the ledger, newest first</caption>
<thead><tr><th scope="col">Request</th><th scope="col">User</th><th scope="col">Profile</th><th scope="col">Status</th><th scope="col">Requested by</th><th scope="col">Started</th><th scope="col">Ended</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
}`;
  return page('Recent onboardings', body, requests.some((r) => RUNNING.has(r.status)) ? 3 : undefined);
}

/** Rows from the first state a Catch led to are the rollback's. */
function phases(timeline: readonly TimelineStep[], model: GraphModel): string[] {
  const caught = new Set(model.edges.filter((e) => e.kind === 'catch' && e.taken).map((e) => e.to));
  let rollback = false;
  return timeline.map((step) => {
    rollback ||= caught.has(step.state);
    return rollback ? 'rollback' : 'forward';
  });
}

const STEP_LABELS: Record<string, string> = {
  succeeded: '✓ succeeded',
  failed: '✗ failed',
  running: '▶ running',
  stopped: '■ stopped',
};

function timelineTable(outcome: ExecutionOutcome, model: GraphModel): Markup {
  if (outcome.timeline.length === 0) {
    return html`<p class="empty">No step timeline: Step Functions no longer has this execution's history; the ledger's record is shown.</p>`;
  }
  const phase = phases(outcome.timeline, model);
  const rows = outcome.timeline.map((step, i) => {
    const retries = step.attempts - 1;
    const classes = [`phase-${phase[i]}`, `row-${step.status}`, retries > 0 ? 'retried' : ''].join(' ');
    const why = step.error
      ? html`<strong>${step.error}</strong>${step.message ? html`: ${step.message}` : ''}${
          step.status === 'succeeded' ? html` <span class="note">(recovered by a retry)</span>` : ''
        }`
      : '';
    return html`<tr class="${classes}" data-state="${step.state}">
<td class="num">${i + 1}</td>
<th scope="row">${step.state}</th>
<td>${phase[i] === 'rollback' ? '↺ rollback' : 'forward'}</td>
<td><span class="badge ${statusClass(step.status)}">${STEP_LABELS[step.status] ?? step.status}</span></td>
<td class="num">${step.attempts}${retries > 0 ? html` <span class="retries">(${retries} ${retries === 1 ? 'retry' : 'retries'})</span>` : ''}</td>
<td>${clock(step.startedAt)}</td>
<td class="num">${duration(step.durationMs)}</td>
<td>${why}${step.detail ? html`<div class="detail">${step.detail}</div>` : ''}</td>
</tr>`;
  });
  return html`<table class="timeline">
<caption>Step timeline: every state entered, in order, with its attempts (a retry is a second attempt)</caption>
<thead><tr><th scope="col">#</th><th scope="col">State</th><th scope="col">Phase</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Started (UTC)</th><th scope="col">Duration</th><th scope="col">Error or result</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

/** `{ a: { b: 1 }, c: [x, y] }` -> `a.b = 1`, `c = x, y` (references only: the outcome holds no secret). */
function fieldsOf(value: unknown, prefix = ''): [string, string][] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) {
      return [[prefix, value.length ? value.join(', ') : '(none)']];
    }
    return value.flatMap((v, i) => fieldsOf(v, `${prefix}[${i}]`));
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      fieldsOf(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  return [[prefix, String(value)]];
}

function createdTable(outcome: ExecutionOutcome): Markup {
  const created = outcome.created;
  if (!created || Object.keys(created).length === 0) {
    const why =
      outcome.status === 'succeeded'
        ? 'Nothing was created.'
        : outcome.failure
          ? 'Nothing is kept: see why it failed, and what was rolled back, above.'
          : 'Nothing yet: what the execution created shows here once it has succeeded.';
    return html`<p class="empty">${why}</p>`;
  }
  const rows = Object.entries(created).flatMap(([step, result]) =>
    fieldsOf(result).map(
      ([field, value]) =>
        html`<tr><th scope="row">${step}</th><td>${field}</td><td><code>${value}</code></td></tr>`,
    ),
  );
  return html`<table class="created">
<caption>What the execution created or found (references only: no secret is ever shown)</caption>
<thead><tr><th scope="col">Step</th><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

function failureBlock(failure: Failure | undefined): Markup | '' {
  if (!failure) return '';
  const report = 'failedStep' in failure ? failure : undefined;
  const list = (items: { step: string; detail?: string; error?: string; message?: string }[]) =>
    items.length === 0
      ? html`<p>none</p>`
      : html`<ul>${items.map((i) => html`<li><strong>${i.step}</strong>: ${i.detail ?? `${i.error}: ${i.message}`}</li>`)}</ul>`;
  return html`<section class="failure" aria-labelledby="failure-title">
<h2 id="failure-title">Why it failed</h2>
<p>${report ? html`<strong>${report.failedStep}</strong> failed with ` : ''}<strong>${failure.error}</strong>${failure.message ? html`: ${failure.message}` : ''}</p>
${
  report
    ? html`<h3>Rolled back</h3>${list(report.rolledBack)}<h3>Kept on purpose</h3>${list(report.kept)}<h3>Left behind</h3>${list(report.leftBehind)}`
    : ''
}
</section>`;
}

function legend(): Markup {
  const states: NodeState[] = [
    'succeeded',
    'failed',
    'rolled-back',
    'running',
    'waiting-for-approval',
    'queued',
    'stopped',
    'not-run',
  ];
  return html`<ul class="legend" aria-label="Legend of the graph's colours">${states.map(
    (s) =>
      html`<li class="state-${s}"><span class="swatch" aria-hidden="true"></span>${NODE_STATE_LABELS[s]}</li>`,
  )}</ul>`;
}

export interface ExecutionView {
  outcome: ExecutionOutcome;
  model: GraphModel;
  asl: AslDefinition;
  item?: RequestItem;
  approval?: ApprovalView;
}

/** Who must approve and how while it waits; who decided, or that nobody did in time. */
function approvalBlock(requestId: string, status: string, a: ApprovalView | undefined): Markup | string {
  if (!a) return '';
  if (a.status === 'pending' && RUNNING.has(status)) {
    return html`<section class="approval approval-pending" aria-labelledby="approval-heading">
<h2 id="approval-heading">Waiting for approval</h2>
<p>By ${a.approvers.join(' or ')} (asked by ${a.requestedBy}), until ${time(a.expiresAt)}. Nothing is read or created before.</p>
<p>Approve: <code>onboard approve ${requestId} --as &lt;approver&gt;</code> (deny: add <code>--deny --reason "..."</code>), or the ticket's approval.</p>
</section>`;
  }
  if (a.status === 'approved' || a.status === 'denied') {
    return html`<section class="approval approval-${a.status}" aria-labelledby="approval-heading">
<h2 id="approval-heading">Approval</h2>
<p>${a.status === 'approved' ? 'Approved' : 'Denied'} by ${a.decidedBy ?? 'someone'} at ${time(a.decidedAt ?? '')}${a.reason ? `: ${a.reason}` : ''}.</p>
</section>`;
  }
  if (a.status === 'pending' && Date.parse(a.expiresAt) > Date.now()) {
    return html`<section class="approval approval-ended" aria-labelledby="approval-heading">
<h2 id="approval-heading">Approval</h2>
<p>The execution ended while it waited for an approval by ${a.approvers.join(' or ')}: nobody decided, nothing was created.</p>
</section>`;
  }
  return html`<section class="approval approval-expired" aria-labelledby="approval-heading">
<h2 id="approval-heading">Approval</h2>
<p>Nobody approved it by ${time(a.expiresAt)}: it expired, nothing was created.</p>
</section>`;
}

export function executionPage({ outcome, model, asl, item, approval }: ExecutionView): string {
  const who = item?.userName
    ? html`<dl class="facts">
<dt>User</dt><dd>${item.userName}</dd>
<dt>Profile</dt><dd>${item.profile ?? ''}${item.group ? html` (group ${item.group})` : ''}${item.privileged ? ' · privileged' : ''}</dd>
${item.policyArns?.length ? html`<dt>Extra policies</dt><dd>${item.policyArns.join(', ')}</dd>` : ''}
${item.requestedBy ? html`<dt>Requested by</dt><dd>${item.requestedBy.channel}${item.requestedBy.source ? ` (${item.requestedBy.source})` : ''}${item.requestedBy.auth ? `, ${item.requestedBy.auth}` : ''}</dd>` : ''}
</dl>`
    : '';
  const running = RUNNING.has(outcome.status);
  const svg = renderGraphSvg(
    model,
    asl,
    `State graph of ${outcome.requestId}: ${model.nodes
      .filter((n) => n.state !== 'not-run')
      .map((n) => `${n.name} ${NODE_STATE_LABELS[n.state]}`)
      .join(', ')}`,
  );
  const body = html`<p><a href="/ui">← all onboardings</a></p>
<h1>Onboarding <span class="request-id">${outcome.requestId}</span> ${badge(outcome.status)}</h1>
${running ? html`<p class="refreshing" role="status">Running: this page refreshes every 2 seconds.</p>` : ''}
<dl class="facts">
<dt>Execution</dt><dd><code>${outcome.executionArn}</code></dd>
<dt>Started</dt><dd>${time(outcome.startedAt)}</dd>
${outcome.stoppedAt ? html`<dt>Ended</dt><dd>${time(outcome.stoppedAt)} (${duration(outcome.durationMs)})</dd>` : ''}
</dl>
${who}
${approvalBlock(outcome.requestId, outcome.status, approval)}
${failureBlock(outcome.failure)}
<section aria-labelledby="graph-heading">
<h2 id="graph-heading">State graph</h2>
${legend()}
<div class="graph">${raw(svg)}</div>
</section>
<section aria-labelledby="timeline-heading">
<h2 id="timeline-heading">Step timeline</h2>
${timelineTable(outcome, model)}
</section>
<section aria-labelledby="created-heading">
<h2 id="created-heading">Created</h2>
${createdTable(outcome)}
</section>`;
  return page(`Onboarding ${outcome.requestId}`, body, running ? 2 : undefined);
}

export function messagePage(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><p>${message}</p><p><a href="/ui">← all onboardings</a></p>`);
}

export const STYLESHEET = `
:root { --ok:#1b7f3b; --ok-bg:#e6f4ea; --bad:#b3261e; --bad-bg:#fdecea; --undo:#9a5b00; --undo-bg:#fff3e0;
  --run:#0b57d0; --run-bg:#e8f0fe; --wait:#6a1b9a; --wait-bg:#f3e5f5; --queue:#5d4037; --queue-bg:#efebe9;
  --stop:#424242; --stop-bg:#eeeeee; --none:#757575; --ink:#1f1f1f; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; color: var(--ink); margin: 0; background: #fafafa; }
header { background: #232f3e; color: #fff; padding: .6rem 1.2rem; }
header a.home { color: #fff; font-weight: 600; text-decoration: none; }
header .where { color: #c7d0da; margin-left: .6rem; }
main { padding: 1rem 1.2rem 3rem; max-width: 1400px; }
h1 { font-size: 1.5rem; margin: .4rem 0 .8rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
h3 { font-size: 1rem; margin: .8rem 0 .2rem; }
a { color: #0b57d0; }
code { font: 13px ui-monospace, monospace; word-break: break-all; }
time { white-space: nowrap; }
table { border-collapse: collapse; background: #fff; width: 100%; }
caption { text-align: left; color: #555; padding: .3rem 0; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f1f3f4; }
td.num { text-align: right; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .4rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.badge { display: inline-block; border-radius: 1rem; padding: 0 .6rem; font-size: .85rem; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; vertical-align: middle; }
.status-succeeded { color: var(--ok); background: var(--ok-bg); }
.status-failed, .status-rollback-incomplete, .status-timed-out { color: var(--bad); background: var(--bad-bg); }
.status-rolled-back { color: var(--undo); background: var(--undo-bg); }
.status-running { color: var(--run); background: var(--run-bg); }
.status-waiting-for-approval { color: var(--wait); background: var(--wait-bg); }
.status-queued { color: var(--queue); background: var(--queue-bg); }
.status-aborted, .status-stopped { color: var(--stop); background: var(--stop-bg); }
tr.phase-rollback th, tr.phase-rollback td { background: #fffaf2; }
tr.retried td .retries { color: var(--undo); font-weight: 600; }
.note, .detail { color: #555; font-size: .9rem; }
.tag { font-size: .8rem; border: 1px solid #999; border-radius: .3rem; padding: 0 .3rem; }
.empty { color: #555; font-style: italic; }
.refreshing { color: var(--run); }
section.failure { border-left: 4px solid var(--bad); background: #fff; padding: .2rem 1rem .6rem; margin: 1rem 0; }
section.failure ul { margin: .2rem 0; }
.graph { overflow-x: auto; background: #fff; border: 1px solid #ddd; padding: .5rem; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; padding: 0; margin: .3rem 0 .6rem; }
ul.legend .swatch { display: inline-block; width: 1.4rem; height: .9rem; border-width: 2px; border-style: solid; border-radius: 3px;
  vertical-align: middle; margin-right: .35rem; }
svg.state-graph { font: 13px system-ui, sans-serif; }
svg .node .shape { stroke-width: 2; }
svg .node-name { font-weight: 600; fill: var(--ink); }
svg .node-status { font-size: 11.5px; fill: #333; }
.state-succeeded .shape, .state-succeeded .swatch { fill: var(--ok-bg); background: var(--ok-bg); stroke: var(--ok); border-color: var(--ok); }
.state-failed .shape, .state-failed .swatch { fill: var(--bad-bg); background: var(--bad-bg); stroke: var(--bad); border-color: var(--bad); stroke-width: 3; }
.state-rolled-back .shape, .state-rolled-back .swatch { fill: var(--undo-bg); background: var(--undo-bg); stroke: var(--undo); border-color: var(--undo); }
.state-running .shape, .state-running .swatch { fill: var(--run-bg); background: var(--run-bg); stroke: var(--run); border-color: var(--run); }
.state-waiting-for-approval .shape, .state-waiting-for-approval .swatch, .state-waiting .shape { fill: var(--wait-bg); background: var(--wait-bg); stroke: var(--wait); border-color: var(--wait); stroke-dasharray: 6 3; }
.state-queued .shape, .state-queued .swatch { fill: var(--queue-bg); background: var(--queue-bg); stroke: var(--queue); border-color: var(--queue); stroke-dasharray: 2 2; }
.state-stopped .shape, .state-stopped .swatch { fill: var(--stop-bg); background: var(--stop-bg); stroke: var(--stop); border-color: var(--stop); }
.state-not-run .shape, .state-not-run .swatch { fill: #fff; background: #fff; stroke: #bbb; border-color: #999; stroke-dasharray: 4 3; }
ul.legend .state-not-run .swatch, ul.legend .state-waiting-for-approval .swatch, ul.legend .state-queued .swatch { border-style: dashed; }
.state-not-run .node-name, .state-not-run .node-status { fill: var(--none); font-weight: 400; }
svg .edge { fill: none; stroke: #c4c4c4; stroke-width: 1.3; }
svg .edge-catch { stroke-dasharray: 5 4; }
svg .edge.taken { stroke: #333; stroke-width: 2.2; }
svg .arrowhead { fill: #c4c4c4; }
svg .arrowhead.taken { fill: #333; }
`;
