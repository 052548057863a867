import { describe, expect, it } from 'vitest';
import { adaptApproval } from '../../../src/api/adapters.ts';
import { handleHttp } from '../../../src/api/http.ts';
import type {
  ApprovalRecord,
  ApprovalStore,
  DecideResult,
  PendingApproval,
  TaskCallbacks,
} from '../../../src/approvals/approvals.ts';
import { TaskClosedError } from '../../../src/approvals/approvals.ts';
import { API_TOKEN, apiDeps, NOW, post } from './fakes.ts';

/**
 * POST /onboardings/{requestId}/approval as a pure function of the request, over an in-memory approval
 * store with the ledger's rules (first decision wins, none after expiry) and recorded task answers.
 */

const bearer = { Authorization: `Bearer ${API_TOKEN}` };
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:iam-onboarding-prod:HR-7';
const TOKEN = `local-token-${'x'.repeat(80)}`;

function memoryStore(expiresAt = new Date(NOW + 3_600_000).toISOString()) {
  const items = new Map<string, ApprovalRecord & { taskToken?: string }>();
  items.set('HR-7', {
    requestId: 'HR-7',
    executionArn: EXECUTION,
    profile: 'stepfunctions-admin',
    requester: 'dave@example.com',
    approvers: ['alice@example.com', 'bob@example.com'],
    status: 'pending',
    requestedAt: new Date(NOW - 60_000).toISOString(),
    expiresAt,
    taskToken: TOKEN,
  });
  const strip = (i: ApprovalRecord & { taskToken?: string }): ApprovalRecord => {
    const { taskToken: _t, ...record } = i;
    return record;
  };
  const store: ApprovalStore = {
    recordPending: async (p: PendingApproval) => {
      items.set(p.requestId, { ...p, status: 'pending' });
    },
    get: async (id) => {
      const i = items.get(id);
      return i && strip(i);
    },
    decide: async (id, arn, decision, now): Promise<DecideResult> => {
      const i = items.get(id);
      if (i?.status !== 'pending' || i.executionArn !== arn || i.expiresAt <= now.toISOString())
        return { decided: false, record: i && strip(i) };
      Object.assign(i, decision);
      return { decided: true, record: strip(i), ...(i.taskToken ? { taskToken: i.taskToken } : {}) };
    },
    undeliveredToken: async (id, arn, by) => {
      const i = items.get(id);
      return i?.executionArn === arn && i.decidedBy === by ? i.taskToken : undefined;
    },
    closeToken: async (id, _arn, expired) => {
      const i = items.get(id);
      if (!i) return;
      delete i.taskToken;
      if (expired) i.status = 'expired';
    },
  };
  return { store, items };
}

function recordingCallbacks(closed = false) {
  const answers: { token: string; kind: 'success' | 'failure'; body: unknown }[] = [];
  const callbacks: TaskCallbacks = {
    succeed: async (token, output) => {
      if (closed) throw new TaskClosedError('closed');
      answers.push({ token, kind: 'success', body: output });
    },
    fail: async (token, error, cause) => {
      if (closed) throw new TaskClosedError('closed');
      answers.push({ token, kind: 'failure', body: { error, cause: JSON.parse(cause) } });
    },
  };
  return { callbacks, answers };
}

function gate(options: { expiresAt?: string; closed?: boolean } = {}) {
  const { store, items } = memoryStore(options.expiresAt);
  const { callbacks, answers } = recordingCallbacks(options.closed);
  const api = apiDeps({ approvals: { store, callbacks } });
  const send = (
    body: unknown,
    path = '/onboardings/HR-7/approval',
    headers: Record<string, string> = bearer,
  ) => handleHttp(post(JSON.stringify(body), headers, path), api.deps);
  return { send, answers, items, logged: api.logged };
}

const parse = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;

describe('POST /onboardings/{requestId}/approval', () => {
  it('approves as a configured approver: 200, the decision recorded, the token answered once', async () => {
    const { send, answers, items, logged } = gate();
    const response = await send({ approver: 'bob@example.com', decision: 'approve', reason: 'ok' });
    expect(response.status).toBe(200);
    const body = parse(response);
    expect(body).toMatchObject({
      requestId: 'HR-7',
      executionArn: EXECUTION,
      approval: {
        status: 'approved',
        decidedBy: 'bob@example.com',
        reason: 'ok',
        requestedBy: 'dave@example.com',
      },
      statusUrl: 'https://api.example.com/onboardings/HR-7',
    });
    expect(answers).toEqual([
      { token: TOKEN, kind: 'success', body: expect.objectContaining({ approvedBy: 'bob@example.com' }) },
    ]);
    expect(items.get('HR-7')?.taskToken).toBeUndefined();
    // The token is never in an answer or a log line.
    expect(response.body).not.toContain(TOKEN);
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
    expect(logged).toEqual([
      expect.objectContaining({
        route: 'POST /onboardings/{requestId}/approval',
        status: 200,
        requestId: 'HR-7',
      }),
    ]);
    // The first decision stands: another approver's denial is a 409, and nothing is answered again.
    const again = await send({ approver: 'alice@example.com', decision: 'deny' });
    expect(again.status).toBe(409);
    expect(parse(again).error).toMatch(/approved already by bob@example.com/);
    expect(answers).toHaveLength(1);
  });

  it('denies: the task fails with ApprovalDenied and a cause naming who and why', async () => {
    const { send, answers } = gate();
    const response = await send({ approver: 'alice@example.com', decision: 'deny', reason: 'no budget' });
    expect(response.status).toBe(200);
    expect(answers[0]).toMatchObject({
      kind: 'failure',
      body: {
        error: 'ApprovalDenied',
        cause: {
          failedStep: 'AwaitApproval',
          message: expect.stringMatching(/denied by alice@example.com: no budget/),
        },
      },
    });
  });

  it('refuses the requester (403), someone off the list (403), and an unknown request (404)', async () => {
    const { send, answers } = gate();
    const self = await send({ approver: 'Dave@example.com', decision: 'approve' });
    expect(self.status).toBe(403);
    expect(parse(self).error).toMatch(/asked for request HR-7 and cannot approve it/);
    const stranger = await send({ approver: 'mallory@example.com', decision: 'approve' });
    expect(stranger.status).toBe(403);
    expect(parse(stranger).error).toMatch(/not an approver of profile "stepfunctions-admin"/);
    const unknown = await send(
      { approver: 'bob@example.com', decision: 'approve' },
      '/onboardings/HR-8/approval',
    );
    expect(unknown.status).toBe(404);
    expect(answers).toEqual([]);
  });

  it('refuses an expired approval (409), and one whose task no longer waits (409, marked expired)', async () => {
    const late = gate({ expiresAt: new Date(NOW - 1).toISOString() });
    expect((await late.send({ approver: 'bob@example.com', decision: 'approve' })).status).toBe(409);
    expect(late.answers).toEqual([]);
    const closed = gate({ closed: true });
    const response = await closed.send({ approver: 'bob@example.com', decision: 'approve' });
    expect(response.status).toBe(409);
    expect(parse(response).error).toMatch(/no longer waits/);
    expect(closed.items.get('HR-7')).toMatchObject({ status: 'expired' });
    expect(closed.items.get('HR-7')?.taskToken).toBeUndefined();
  });

  it('needs the same authentication as the start, and names every bad field (400)', async () => {
    const { send, answers } = gate();
    expect((await send({ approver: 'bob@example.com', decision: 'approve' }, undefined, {})).status).toBe(
      401,
    );
    const bad = await send({ approver: 'two people', decision: 'yes', extra: 1 });
    expect(bad.status).toBe(400);
    expect((parse(bad).issues as { path: string }[]).map((i) => i.path).sort()).toEqual([
      'approver',
      'decision',
      'extra',
    ]);
    expect(answers).toEqual([]);
  });

  it("maps Jira's and ServiceNow's approval payloads, naming their fields in errors", async () => {
    const jira = gate();
    const fromJira = await jira.send(
      {
        issue: { key: 'HR-7' },
        approval: { approver: 'alice@example.com', decision: 'Declined', comment: 'later' },
      },
      '/onboardings/HR-7/approval?source=jira',
    );
    expect(fromJira.status).toBe(200);
    expect(parse(fromJira).approval).toMatchObject({
      status: 'denied',
      decidedBy: 'alice@example.com',
      reason: 'later',
    });

    const sn = gate();
    const fromSn = await sn.send(
      { number: 'HR-7', approval: { approver: 'bob@example.com', state: 'approved', comments: 'fine' } },
      '/onboardings/HR-7/approval',
      { ...bearer, 'X-Onboarding-Source': 'servicenow' },
    );
    expect(fromSn.status).toBe(200);
    expect(sn.answers[0]?.kind).toBe('success');

    const wrongWord = await gate().send(
      { number: 'HR-7', approval: { approver: 'bob@example.com', state: 'maybe' } },
      '/onboardings/HR-7/approval?source=servicenow',
    );
    expect(wrongWord.status).toBe(400);
    expect(parse(wrongWord).issues).toEqual([
      { path: 'approval.state', message: 'must be one of: approved, approve, rejected, reject, deny' },
    ]);
    const otherTicket = await gate().send(
      { issue: { key: 'HR-9' }, approval: { approver: 'bob@example.com', decision: 'approved' } },
      '/onboardings/HR-7/approval?source=jira',
    );
    expect(otherTicket.status).toBe(400);
    expect(parse(otherTicket).issues).toEqual([
      { path: 'issue.key', message: 'must be HR-7, the request id of the path' },
    ]);
  });
});

describe('the approval adapters', () => {
  it("turn the tools' payloads into {approver, decision, reason}", () => {
    expect(
      adaptApproval('jira', 'HR-7', {
        issue: { key: 'HR-7' },
        approval: { approver: 'a@example.com', decision: 'APPROVED', comment: '' },
      }).body,
    ).toEqual({ approver: 'a@example.com', decision: 'approve' });
    expect(
      adaptApproval('servicenow', 'RITM0010001', {
        approval: { approver: 'b@example.com', state: 'rejected', comments: 'no' },
      }).body,
    ).toEqual({ approver: 'b@example.com', decision: 'deny', reason: 'no' });
    const generic = { approver: 'c@example.com', decision: 'approve' };
    expect(adaptApproval('generic', 'HR-7', generic).body).toBe(generic);
    expect(() => adaptApproval('jira', 'HR-7', { approval: { approver: 'a', result: 'x' } })).toThrow(
      /approval\.result: unknown field/,
    );
  });
});
