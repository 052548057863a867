import type { AslDefinition, AslState } from '../definition.ts';
import type { TimelineStep } from '../execution/timeline.ts';
import { undoStateName } from '../steps/index.ts';
import { escapeHtml } from './html.ts';

/**
 * One execution's state graph, as the Step Functions console draws it: the ASL's states and
 * transitions, each state coloured by what the execution's history says of it. The state of a node is
 * derived generically from its timeline status, its ASL type and its name, so a new state (an approval
 * gate, an admission queue) is coloured without a change here:
 *   - a state the execution is in that waits for a task token (or a Wait state) is waiting - for
 *     approval when its name says approval, queued when it says admission or queue;
 *   - a forward step that succeeded and whose undo (`Undo<Step>`) then succeeded is rolled back
 *     (unless the undo found nothing of this execution's to undo, or kept it on purpose).
 * The layout (gridLayout) and the SVG are drawn here, on the server: the page needs no script and no
 * network.
 */

export type NodeState =
  | 'succeeded'
  | 'failed'
  | 'rolled-back'
  | 'running'
  | 'waiting-for-approval'
  | 'queued'
  | 'waiting'
  | 'stopped'
  | 'not-run';

/** The words beside each colour: the state is never told by colour alone. */
export const NODE_STATE_LABELS: Record<NodeState, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  'rolled-back': 'rolled back',
  running: 'running',
  'waiting-for-approval': 'waiting for approval',
  queued: 'queued',
  waiting: 'waiting for a callback',
  stopped: 'stopped',
  'not-run': 'not run',
};

/**
 * A glyph per state, for readers who cannot tell the colours apart. Only characters the common fonts
 * carry (DejaVu, Debian's default, has none of the emoji-range ⏸ and ⏳: they drew as empty boxes);
 * test/e2e/status-page.test.ts draws each one in Chromium and compares it with a missing glyph's box.
 */
export const NODE_STATE_GLYPHS: Record<NodeState, string> = {
  succeeded: '✓',
  failed: '✗',
  'rolled-back': '↺',
  running: '▶',
  'waiting-for-approval': '‖',
  queued: '…',
  waiting: '‖',
  stopped: '■',
  'not-run': '·',
};

export interface GraphNode {
  name: string;
  type: string;
  state: NodeState;
  /** Invocations of the state's resource (retries included); 0 when it did not run. */
  attempts: number;
  error?: string;
}

export type EdgeKind = 'next' | 'catch' | 'choice';

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** The execution went this way. */
  taken: boolean;
}

export interface GraphModel {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const waits = (state: AslState) =>
  state.Type === 'Wait' ||
  (typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken'));

function waitingState(name: string): NodeState {
  if (/approv/i.test(name)) return 'waiting-for-approval';
  if (/admi|queue/i.test(name)) return 'queued';
  return 'waiting';
}

function edgesOf(asl: AslDefinition): Omit<GraphEdge, 'taken'>[] {
  const edges: Omit<GraphEdge, 'taken'>[] = [];
  for (const [name, state] of Object.entries(asl.States)) {
    const s = state as Record<string, unknown>;
    if (typeof s.Next === 'string') edges.push({ from: name, to: s.Next, kind: 'next' });
    for (const c of (s.Catch as { Next?: unknown }[] | undefined) ?? []) {
      // An undo's Catch goes where its Next goes: one edge is enough.
      if (typeof c.Next === 'string' && c.Next !== s.Next)
        edges.push({ from: name, to: c.Next, kind: 'catch' });
    }
    for (const c of (s.Choices as { Next?: unknown }[] | undefined) ?? []) {
      if (typeof c.Next === 'string') edges.push({ from: name, to: c.Next, kind: 'choice' });
    }
    if (typeof s.Default === 'string') edges.push({ from: name, to: s.Default, kind: 'choice' });
  }
  return edges;
}

/** The graph of the ASL with each state's state in this execution (the last time it ran). */
export function graphModel(asl: AslDefinition, timeline: readonly TimelineStep[]): GraphModel {
  const last = new Map<string, TimelineStep>();
  for (const step of timeline) last.set(step.state, step);
  const nodes = Object.entries(asl.States).map(([name, def]): GraphNode => {
    const step = last.get(name);
    let state: NodeState;
    if (!step) state = 'not-run';
    else if (step.status === 'running') state = waits(def) ? waitingState(name) : 'running';
    else if (step.status === 'failed') state = 'failed';
    else if (step.status === 'stopped') state = 'stopped';
    else {
      // An undo that found nothing of this execution's, or kept it on purpose (a shared group), rolled
      // nothing back: the step stays as it ended.
      const undo = last.get(undoStateName(name));
      const undone = undo?.status === 'succeeded' && !/^(kept|nothing)\b/.test(undo.detail ?? '');
      state = undone ? 'rolled-back' : 'succeeded';
    }
    return {
      name,
      type: def.Type,
      state,
      attempts: step?.attempts ?? 0,
      ...(step?.error ? { error: step.error } : {}),
    };
  });
  const taken = new Set<string>();
  for (let i = 1; i < timeline.length; i++) {
    taken.add(`${timeline[i - 1]?.state}\0${timeline[i]?.state}`);
  }
  const edges = edgesOf(asl).map((e) => ({ ...e, taken: taken.has(`${e.from}\0${e.to}`) }));
  return { nodes, edges };
}

const CHAR_WIDTH = 7.4;
const NODE_HEIGHT = 42;
const ROW_GAP = 26;
const COLUMN_GAP = 56;
const MARGIN = 12;
const round = (n: number) => Math.round(n * 10) / 10;

function statusLine(node: GraphNode): string {
  const retries = node.attempts > 1 ? ` · ${node.attempts} attempts` : '';
  return `${NODE_STATE_GLYPHS[node.state]} ${NODE_STATE_LABELS[node.state]}${retries}`;
}

/** Where each state sits on a grid of columns and rows. */
export type GridLayout = Map<string, { column: number; row: number }>;

/**
 * A saga's layout, from the ASL alone: the main path (StartAt, then each Next, or a Choice's Default)
 * down the first column; every other state in the column right of the predecessor that sits highest,
 * on that predecessor's row or the first free one below it. So a Catch target (an undo) sits beside the
 * step it undoes, the undo chain climbs back up beside the forward chain, and what follows it (the
 * report, the Choice, the two ends) steps right along the top - with no layout code per state.
 */
export function gridLayout(asl: AslDefinition, edges: readonly Omit<GraphEdge, 'taken'>[]): GridLayout {
  const grid: GridLayout = new Map();
  const taken = new Set<string>();
  const put = (name: string, column: number, row: number) => {
    grid.set(name, { column, row });
    taken.add(`${column},${row}`);
  };
  let name: string | undefined = asl.StartAt;
  for (let row = 0; name && asl.States[name] && !grid.has(name); row++) {
    put(name, 0, row);
    const s = asl.States[name] as Record<string, unknown>;
    const first = (s.Choices as { Next?: unknown }[] | undefined)?.[0]?.Next;
    const next: unknown = s.Next ?? s.Default ?? first;
    name = typeof next === 'string' ? next : undefined;
  }
  const names = Object.keys(asl.States);
  for (let progress = true; progress; ) {
    progress = false;
    for (const state of names) {
      if (grid.has(state)) continue;
      const from = edges
        .filter((e) => e.to === state && grid.has(e.from))
        .map((e) => grid.get(e.from) as { column: number; row: number })
        .sort((a, b) => a.row - b.row || a.column - b.column)[0];
      if (!from) continue;
      let row = from.row;
      while (taken.has(`${from.column + 1},${row}`)) row++;
      put(state, from.column + 1, row);
      progress = true;
    }
  }
  // States nothing leads to (none in a valid ASL) go below the rest.
  let spare = Math.max(0, ...[...grid.values()].map((p) => p.row)) + 1;
  for (const state of names) if (!grid.has(state)) put(state, 1, spare++);
  return grid;
}

function shapeOf(node: GraphNode, w: number, h: number): string {
  const x = round(-w / 2);
  const y = round(-h / 2);
  if (node.type === 'Choice') {
    const d = 12;
    return `<polygon class="shape" points="${x + d},${y} ${x + w - d},${y} ${x + w},0 ${x + w - d},${-y} ${x + d},${-y} ${x},0"/>`;
  }
  const rx = node.type === 'Succeed' || node.type === 'Fail' ? h / 2 : 5;
  return `<rect class="shape" x="${x}" y="${y}" width="${round(w)}" height="${round(h)}" rx="${rx}"/>`;
}

/** Where the segment from the centre of a box towards (dx, dy) leaves it. */
function exitPoint(cx: number, cy: number, w: number, h: number, dx: number, dy: number) {
  if (dx === 0 && dy === 0) return { x: cx, y: cy };
  const t = Math.min(dx === 0 ? Infinity : w / 2 / Math.abs(dx), dy === 0 ? Infinity : h / 2 / Math.abs(dy));
  return { x: cx + dx * t, y: cy + dy * t };
}

/** The graph as an SVG element (inline in the page: no script, no external resource). */
export function renderGraphSvg(model: GraphModel, asl: AslDefinition, title: string): string {
  const grid = gridLayout(asl, model.edges);
  const widthOf = (node: GraphNode) =>
    Math.max(130, Math.max(node.name.length, statusLine(node).length) * CHAR_WIDTH + 22);
  const columnWidth = Math.max(...model.nodes.map(widthOf));
  const columns = Math.max(...[...grid.values()].map((p) => p.column)) + 1;
  const rows = Math.max(...[...grid.values()].map((p) => p.row)) + 1;
  const boxes = new Map<string, { x: number; y: number; w: number; h: number }>();
  for (const node of model.nodes) {
    const at = grid.get(node.name) ?? { column: 0, row: 0 };
    boxes.set(node.name, {
      x: MARGIN + at.column * (columnWidth + COLUMN_GAP) + columnWidth / 2,
      y: MARGIN + at.row * (NODE_HEIGHT + ROW_GAP) + NODE_HEIGHT / 2,
      w: widthOf(node),
      h: NODE_HEIGHT,
    });
  }
  const width = 2 * MARGIN + columns * columnWidth + (columns - 1) * COLUMN_GAP;
  const height = 2 * MARGIN + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;

  // Untaken edges first, so that the path the execution took is drawn over them.
  const ordered = [...model.edges].sort((a, b) => Number(a.taken) - Number(b.taken));
  const edgeSvg = ordered.map((e) => {
    const a = boxes.get(e.from);
    const b = boxes.get(e.to);
    if (!a || !b) return '';
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const p = exitPoint(a.x, a.y, a.w, a.h, dx, dy);
    const q = exitPoint(b.x, b.y, b.w, b.h, -dx, -dy);
    const cls = `edge edge-${e.kind}${e.taken ? ' taken' : ''}`;
    return `<path class="${cls}" d="M${round(p.x)},${round(p.y)} L${round(q.x)},${round(q.y)}" marker-end="url(#arrow${e.taken ? '-taken' : ''})"><title>${escapeHtml(
      `${e.from} → ${e.to}${e.kind === 'catch' ? ' (on error)' : ''}${e.taken ? ', taken' : ''}`,
    )}</title></path>`;
  });

  const nodeSvg = model.nodes.map((node) => {
    const { x, y, w, h } = boxes.get(node.name) ?? { x: 0, y: 0, w: 0, h: 0 };
    const tip = `${node.name} (${node.type}): ${NODE_STATE_LABELS[node.state]}${
      node.attempts > 1 ? `, ${node.attempts} attempts` : ''
    }${node.error ? `, last error ${node.error}` : ''}`;
    return [
      `<g class="node state-${node.state}" data-state="${escapeHtml(node.name)}" data-status="${node.state}" transform="translate(${round(x)},${round(y)})">`,
      `<title>${escapeHtml(tip)}</title>`,
      shapeOf(node, w, h),
      `<text class="node-name" y="-4" text-anchor="middle">${escapeHtml(node.name)}</text>`,
      `<text class="node-status" y="13" text-anchor="middle">${escapeHtml(statusLine(node))}</text>`,
      '</g>',
    ].join('');
  });

  const marker = (id: string, cls: string) =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="${cls}" d="M0,0 L10,5 L0,10 z"/></marker>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="state-graph" viewBox="0 0 ${round(width)} ${round(height)}" width="${round(width)}" height="${round(height)}" role="img" aria-labelledby="graph-title">`,
    `<title id="graph-title">${escapeHtml(title)}</title>`,
    `<defs>${marker('arrow', 'arrowhead')}${marker('arrow-taken', 'arrowhead taken')}</defs>`,
    `<g class="edges">${edgeSvg.join('')}</g>`,
    `<g class="nodes">${nodeSvg.join('')}</g>`,
    '</svg>',
  ].join('');
}
