import {
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreateServiceLinkedRoleCommand,
} from '@aws-sdk/client-iam';
import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import { afterAll, describe, expect, it } from 'vitest';
import type { FailureCause } from '../../src/rollback-report.ts';
import type { LambdaFault } from '../../src/runner/local-runner.ts';
import { type AccountView, readAccount } from '../helpers/account.ts';
import { iamOf, onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';

/**
 * The fault matrix: every mutating AWS call of an onboarding (and of its rollback) x every kind of
 * fault, each on a fresh account, with the invariant checked on the whole account afterwards:
 * - succeeded: everything requested exists exactly once;
 * - failed: nothing this execution created remains, except what RollbackIncomplete names;
 * - either way: nothing that existed before was changed.
 */

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const request = {
  requestId: 'HR-900',
  userName: 'linus',
  group: 'data-engineers',
  policyArns: [READ_ONLY, S3_READ],
  serviceLinkedRoles: ['elasticache.amazonaws.com', 'ecs.amazonaws.com'],
  tags: { team: 'kernel' },
};

/** Forward calls, with the state that makes them. */
const FORWARD: [action: string, state: string][] = [
  ['CreateUser', 'CreateUser'],
  ['CreateGroup', 'EnsureGroup'],
  ['AddUserToGroup', 'AddUserToGroup'],
  ['AttachGroupPolicy', 'AttachGroupPolicies'],
  ['CreateServiceLinkedRole', 'EnsureServiceLinkedRoles'],
  ['CreateAccessKey', 'CreateAccessKey'],
  ['CreateSecret', 'CreateAccessKey'],
  ['PutResourcePolicy', 'CreateAccessKey'],
];

/** Rollback calls, with the undo state that makes them (a denied PutResourcePolicy starts the rollback). */
const UNDO: [action: string, state: string][] = [
  ['DeleteSecret', 'UndoCreateAccessKey'],
  ['DeleteAccessKey', 'UndoCreateAccessKey'],
  ['DeleteServiceLinkedRole', 'UndoEnsureServiceLinkedRoles'],
  ['DetachGroupPolicy', 'UndoAttachGroupPolicies'],
  ['RemoveUserFromGroup', 'UndoAddUserToGroup'],
  ['DeleteGroup', 'UndoEnsureGroup'],
  ['DeleteUser', 'UndoCreateUser'],
];

type Fault = {
  name: string;
  faults: (action: string) => FaultSpec[];
  lambda?: (state: string) => LambdaFault[];
};

const FAULTS: Fault[] = [
  { name: 'throttled twice', faults: (action) => [{ action, kind: 'error', error: 'Throttling', count: 2 }] },
  { name: '5xx twice', faults: (action) => [{ action, kind: 'error', error: 'ServiceFailure', count: 2 }] },
  {
    name: '5xx forever',
    faults: (action) => [{ action, kind: 'error', error: 'ServiceFailure', count: 'always' }],
  },
  {
    name: 'AccessDenied',
    faults: (action) => [{ action, kind: 'error', error: 'AccessDenied', count: 'always' }],
  },
  { name: 'answer lost', faults: (action) => [{ action, kind: 'lost-response', count: 1 }] },
  {
    name: 'Lambda crash after',
    faults: () => [],
    lambda: (state) => [{ state, when: 'after', kind: 'crash', count: 1 }],
  },
  {
    name: 'Lambda timeout after',
    faults: () => [],
    lambda: (state) => [{ state, when: 'after', kind: 'timeout', count: 1 }],
  },
];

const table: { call: string; fault: string; outcome: string }[] = [];

afterAll(() => {
  const faults = FAULTS.map((f) => f.name);
  const calls = [...new Set(table.map((r) => r.call))];
  const width = Math.max(...calls.map((c) => c.length), 4) + 2;
  const cell = Math.max(...table.map((r) => r.outcome.length), ...faults.map((f) => f.length)) + 2;
  const lines = [
    `${'call'.padEnd(width)}${faults.map((f) => f.padEnd(cell)).join('')}`,
    ...calls.map(
      (call) =>
        `${call.padEnd(width)}${faults
          .map((f) => (table.find((r) => r.call === call && r.fault === f)?.outcome ?? '-').padEnd(cell))
          .join('')}`,
    ),
  ];
  console.log(
    `\nFault matrix (call x fault -> outcome; every cell held the invariant)\n${lines.join('\n')}\n`,
  );
});

/** Accounts compared without what this execution may legitimately leave: nothing, or named leftovers. */
function withoutOnboarding(view: AccountView): AccountView {
  const copy = structuredClone(view);
  delete copy.users[request.userName];
  for (const g of Object.values(copy.groups)) g.members = g.members.filter((m) => m !== request.userName);
  return copy;
}

async function runCell(call: string, state: string, fault: Fault, undoCall: boolean) {
  const stack = await openTestStack();
  try {
    const iam = iamOf(stack);
    const sm = secretsOf(stack);
    // What existed before: the ECS role, and the group "sre" with ReadOnlyAccess.
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'sre' }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: READ_ONLY }));
    const before = await readAccount(iam, sm);

    const faults = [
      ...fault.faults(call),
      // A fault on an undo call needs a rollback to happen: the last forward call is denied.
      ...(undoCall
        ? [
            {
              action: 'PutResourcePolicy',
              kind: 'error' as const,
              error: 'AccessDenied',
              count: 'always' as const,
            },
          ]
        : []),
    ];
    const result = await onboard(stack, request, {
      faults,
      ...(fault.lambda ? { lambdaFaults: fault.lambda(state) } : {}),
    });
    const after = await readAccount(iam, sm);

    // Nothing that existed before was changed.
    expect(after.groups.sre).toEqual(before.groups.sre);
    expect(after.roles).toMatchObject(before.roles);

    if (result.status === 'SUCCEEDED') {
      const user = after.users[request.userName];
      expect(user?.tags['onboarding:execution']).toBe(result.executionArn);
      expect(user?.groups).toEqual([request.group]);
      expect(user?.keys).toBe(1);
      expect(after.groups[request.group]?.policies).toEqual([S3_READ, READ_ONLY].sort());
      expect(Object.keys(after.secrets)).toEqual([`onboarding/${request.userName}/access-key`]);
      expect(Object.keys(after.roles).filter((r) => r.includes('ElastiCache'))).toHaveLength(1);
      table.push({ call, fault: fault.name, outcome: 'succeeded' });
      return;
    }
    expect(result.status).toBe('FAILED');
    const cause = JSON.parse(result.cause ?? '{}') as FailureCause;
    if (result.error !== 'RollbackIncomplete') {
      // A clean rollback: the account is exactly as before.
      expect(withoutOnboarding(after)).toEqual(before);
      expect(after.users[request.userName]).toBeUndefined();
      table.push({ call, fault: fault.name, outcome: 'rolled back' });
      return;
    }
    // Incomplete: whatever remains must be named by the cause, and the failing undo is among them.
    const left = cause.leftBehind.map((l) => l.step);
    expect(left).toContain(state);
    const named = (...steps: string[]) => steps.some((s) => left.includes(s));
    if (after.users[request.userName]) expect(named('UndoCreateUser')).toBe(true);
    if (Object.keys(after.secrets).length > 0) expect(named('UndoCreateAccessKey')).toBe(true);
    if (Object.keys(after.roles).some((r) => r.includes('ElastiCache'))) {
      expect(named('UndoEnsureServiceLinkedRoles')).toBe(true);
    }
    const group = after.groups[request.group];
    if (group?.policies.length) expect(named('UndoAttachGroupPolicies')).toBe(true);
    if (group)
      expect(
        named('UndoEnsureGroup', 'UndoAddUserToGroup', 'UndoAttachGroupPolicies', 'UndoCreateUser'),
      ).toBe(true);
    table.push({ call, fault: fault.name, outcome: `incomplete: ${left.join(',')}` });
  } finally {
    await stack.close();
  }
}

describe('the fault matrix', () => {
  for (const [call, state] of FORWARD) {
    for (const fault of FAULTS) {
      it(`${call} x ${fault.name}: holds the invariant`, () => runCell(call, state, fault, false));
    }
  }
  for (const [call, state] of UNDO) {
    for (const fault of FAULTS) {
      it(`rollback ${call} x ${fault.name}: holds the invariant`, () => runCell(call, state, fault, true));
    }
  }
});
