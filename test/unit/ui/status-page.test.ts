import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../../src/definition.ts';
import type { ExecutionOutcome } from '../../../src/execution/outcome.ts';
import type { TimelineStep } from '../../../src/execution/timeline.ts';
import type { RequestItem } from '../../../src/ledger/items.ts';
import { escapeHtml } from '../../../src/ui/html.ts';
import { graphModel, gridLayout } from '../../../src/ui/state-graph.ts';
import { handleStatusPage, type StatusPageDeps } from '../../../src/ui/status-page.ts';

/**
 * The status page's reading of an execution, on a state machine of its own: states it has never seen
 * (an approval gate, an admission queue) are coloured from their type, name and timeline status alone.
 */

const WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const task = (next: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: { 'Fn::GetAtt': ['fn', 'Arn'] },
  Next: next,
  Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Report' }],
  ...extra,
});

const ASL: AslDefinition = {
  StartAt: 'AwaitAdmission',
  States: {
    AwaitAdmission: task('AwaitApproval', { Resource: WAIT }),
    AwaitApproval: task('CreateUser', { Resource: WAIT }),
    CreateUser: task('CreateKey', { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'UndoCreateUser' }] }),
    CreateKey: task('Done', { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'UndoCreateKey' }] }),
    Done: { Type: 'Succeed' },
    UndoCreateKey: { Type: 'Task', Resource: 'x', Next: 'UndoCreateUser' },
    UndoCreateUser: { Type: 'Task', Resource: 'x', Next: 'Report' },
    Report: { Type: 'Pass', Next: 'Failed' },
    Failed: { Type: 'Fail' },
  },
};

const step = (state: string, status: TimelineStep['status'], attempts = 1, error?: string): TimelineStep => ({
  state,
  status,
  startedAt: '2026-01-01T00:00:00.000Z',
  attempts,
  ...(error ? { error } : {}),
});

const stateOf = (timeline: TimelineStep[], name: string) =>
  graphModel(ASL, timeline).nodes.find((n) => n.name === name)?.state;

describe('the state graph', () => {
  it('shows an execution held at a task-token state named for approval as waiting for approval', () => {
    const timeline = [step('AwaitAdmission', 'succeeded'), step('AwaitApproval', 'running')];
    expect(stateOf(timeline, 'AwaitApproval')).toBe('waiting-for-approval');
    expect(stateOf(timeline, 'AwaitAdmission')).toBe('succeeded');
    expect(stateOf(timeline, 'CreateUser')).toBe('not-run');
  });

  it('shows one held at an admission state as queued, and a running plain Task as running', () => {
    expect(stateOf([step('AwaitAdmission', 'running')], 'AwaitAdmission')).toBe('queued');
    const running = [step('AwaitAdmission', 'succeeded'), step('AwaitApproval', 'succeeded')];
    expect(stateOf([...running, step('CreateUser', 'running')], 'CreateUser')).toBe('running');
  });

  it('shows a step whose undo succeeded as rolled back, the failed one as failed, with its attempts', () => {
    const timeline = [
      step('AwaitAdmission', 'succeeded'),
      step('AwaitApproval', 'succeeded'),
      step('CreateUser', 'succeeded', 3, 'Throttling'),
      step('CreateKey', 'failed', 1, 'AccessDenied'),
      step('UndoCreateKey', 'succeeded'),
      step('UndoCreateUser', 'succeeded'),
      step('Report', 'succeeded'),
      step('Failed', 'failed'),
    ];
    const model = graphModel(ASL, timeline);
    const node = (n: string) => model.nodes.find((x) => x.name === n);
    expect(node('CreateUser')).toMatchObject({ state: 'rolled-back', attempts: 3, error: 'Throttling' });
    expect(node('CreateKey')?.state).toBe('failed');
    expect(node('AwaitApproval')?.state).toBe('succeeded');
    expect(node('Done')?.state).toBe('not-run');
    const taken = model.edges.filter((e) => e.taken).map((e) => `${e.from}>${e.to}:${e.kind}`);
    expect(taken).toContain('CreateKey>UndoCreateKey:catch');
    expect(taken).not.toContain('CreateKey>Done:next');
  });

  it.each(['kept: the user existed before', 'nothing: no user of this execution'])(
    'keeps a step green whose undo rolled nothing back (%s)',
    (detail) => {
      const timeline = [
        step('AwaitAdmission', 'succeeded'),
        step('AwaitApproval', 'succeeded'),
        step('CreateUser', 'succeeded'),
        step('CreateKey', 'failed', 1, 'AccessDenied'),
        step('UndoCreateKey', 'succeeded'),
        { ...step('UndoCreateUser', 'succeeded'), detail },
      ];
      expect(stateOf(timeline, 'CreateUser')).toBe('succeeded');
    },
  );

  it('lays the main path down the first column and each undo beside the step it undoes', () => {
    const grid = gridLayout(ASL, graphModel(ASL, []).edges);
    expect(
      ['AwaitAdmission', 'AwaitApproval', 'CreateUser', 'CreateKey', 'Done'].map((n) => grid.get(n)),
    ).toEqual([0, 1, 2, 3, 4].map((row) => ({ column: 0, row })));
    expect(grid.get('UndoCreateKey')).toEqual({ column: 1, row: 3 });
    expect(grid.get('UndoCreateUser')).toEqual({ column: 1, row: 2 });
    const cells = [...grid.values()].map((p) => `${p.column},${p.row}`);
    expect(new Set(cells).size).toBe(cells.length);
  });
});

const ITEM: RequestItem = {
  pk: 'REQUEST#HR-1',
  sk: 'REQUEST',
  itemType: 'request',
  requestId: 'HR-1',
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:HR-1',
  status: 'FAILED',
  statusAt: 1,
  updatedAt: '2026-01-01T00:00:00.000Z',
  userName: '<script>alert(1)</script>',
  profile: '"><img src=x onerror=alert(2)>',
};

const OUTCOME: ExecutionOutcome = {
  requestId: 'HR-1',
  executionArn: ITEM.executionArn,
  status: 'rolled back',
  startedAt: '2026-01-01T00:00:00.000Z',
  timeline: [step('AwaitAdmission', 'failed', 1, 'Bad<b>Error')],
  failure: { error: 'Bad<b>Error', message: '<iframe src=//evil>' },
};

const deps: StatusPageDeps = {
  asl: ASL,
  recent: async () => [ITEM],
  status: async (id) => (id === 'HR-1' ? OUTCOME : undefined),
  item: async (id) => (id === 'HR-1' ? ITEM : undefined),
  port: 8080,
};

const get = (path: string, over: Partial<Parameters<typeof handleStatusPage>[0]> = {}) =>
  handleStatusPage(
    { method: 'GET', path, headers: { host: '127.0.0.1:8080' }, remoteAddress: '127.0.0.1', ...over },
    deps,
  );

describe('the status page handler', () => {
  it.each(['/ui', '/ui/onboardings/HR-1'])('escapes every field it prints (%s)', async (path) => {
    const { status, body } = await get(path);
    expect(status).toBe(200);
    expect(body).not.toMatch(/<script|<img|<iframe|<b>/i);
    if (path === '/ui') expect(body).toContain(escapeHtml(ITEM.userName));
    else expect(body).toContain('Bad&lt;b&gt;Error');
  });

  it('refuses a Host that is not loopback with this port, a peer off loopback, and writes', async () => {
    expect((await get('/ui', { headers: { host: 'rebind.example:8080' } })).status).toBe(421);
    expect((await get('/ui', { headers: { host: '127.0.0.1:9999' } })).status).toBe(421);
    expect((await get('/ui', { headers: {} })).status).toBe(421);
    expect((await get('/ui', { remoteAddress: '192.0.2.7' })).status).toBe(403);
    expect((await get('/ui', { method: 'POST' })).status).toBe(405);
    expect((await get('/ui', { headers: { host: 'localhost:8080' }, remoteAddress: '::1' })).status).toBe(
      200,
    );
  });

  it('answers an unknown request id with a 404 that prints it escaped', async () => {
    const { status, body } = await get('/ui/onboardings/HR-404');
    expect(status).toBe(404);
    expect(body).toContain('HR-404');
    const odd = await get(`/ui/onboardings/${encodeURIComponent('<svg onload=x>')}`);
    expect(odd.status).toBe(404);
    expect(odd.body).not.toContain('<svg onload');
  });

  it('sends a policy that allows no script at all', async () => {
    const { headers } = await get('/ui');
    expect(headers['content-security-policy']).toMatch(/^default-src 'none';/);
    expect(headers['content-security-policy']).not.toContain('script-src');
  });
});
