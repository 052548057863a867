import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreateServiceLinkedRoleCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import { afterAll, describe, expect, it } from 'vitest';
import { selfServicePolicyArn } from '../../src/config.ts';
import { declaredCallsByFunction } from '../../src/declarations.ts';
import { bindTasks, loadAsl } from '../../src/definition.ts';
import type { ExecutionResult } from '../../src/local/runner.ts';
import { principalKeyId, type Stack } from '../../src/local/stack.ts';
import { type FailureCause, NOT_PROVEN_OURS } from '../../src/rollback-report.ts';
import type { AwsAction } from '../../src/steps/calls.ts';
import { undoStateName } from '../../src/steps/index.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { type AccountView, readAccount } from '../helpers/account.ts';
import { config, iamOf, onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';
import {
  type Cell,
  cellName,
  matrixCells,
  type Outcome,
  rollbackTrigger,
  serviceOf,
  verbOf,
} from '../helpers/matrix.ts';

/**
 * The fault matrix (run as two test files, the forward half and the rollback half, so that the two
 * halves run side by side): every declared AWS call of every task (forward and rollback) x every kind of
 * fault, and every Task x a Lambda crash or timeout after its work, each on a fresh account. Each cell
 * asserts its expected outcome, and the whole-account invariant behind it:
 * - succeeded: everything requested exists exactly once;
 * - rolled back: the account equals its pre-image;
 * - rollback incomplete: the cause names exactly the undo that failed, and whatever remains belongs to
 *   it (or to an undo that reported keeping something because of it);
 * - always: nothing that existed before was changed, the fault did fire (the declared call is really
 *   made), and no function made a call it does not declare.
 */

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const CW_READ = 'arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess';
const USER = 'linus';
/**
 * Profile data-engineers: group data-engineers carrying S3 and CloudWatch reads, the ElastiCache and ECS
 * service-linked roles, an access key; ReadOnlyAccess is the extra policy on the user.
 */
const GROUP = 'data-engineers';
const request = {
  requestId: 'HR-900',
  userName: USER,
  profile: 'data-engineers',
  contact: { recipient: TEST_HIRE_RECIPIENT },
  policyArns: [READ_ONLY],
  tags: { team: 'kernel' },
};

const bindings = await bindTasks(await loadAsl());
const functionOf = (state: string) => {
  const key = bindings.find((b) => b.state === state)?.functionKey;
  if (!key) throw new Error(`no function for state ${state}`);
  return key;
};
const declaredByFunction = await declaredCallsByFunction();
const trigger = rollbackTrigger();

/**
 * Who owns what an onboarding creates, for the incomplete cells: a leftover must belong to the undo
 * that failed, or to one that kept it because of that failure.
 */
const OWNERS: Record<string, string[]> = {
  user: ['CreateUser'],
  'user key': ['CreateAccessKey', 'CreateUser'],
  'user extras': ['CreateUser', 'AttachUserPolicies'],
  membership: ['AddUserToGroup', 'CreateUser'],
  group: ['EnsureGroup'],
  'group policy': ['AttachGroupPolicies'],
  'service-linked role': ['EnsureServiceLinkedRoles'],
  secret: ['CreateAccessKey'],
};

/** What the onboarding left in the account beyond the pre-image, by kind. */
function leftovers(before: AccountView, after: AccountView): string[] {
  const kinds = new Set<string>();
  const user = after.users[USER];
  if (user) {
    kinds.add('user');
    if (user.keys > 0) kinds.add('user key');
    if (user.policies.length || user.inlinePolicies.length || user.loginProfile) kinds.add('user extras');
    if (user.groups.length) kinds.add('membership');
  }
  const group = after.groups[GROUP];
  if (group && !before.groups[GROUP]) kinds.add('group');
  if (group && JSON.stringify(group.policies) !== JSON.stringify(before.groups[GROUP]?.policies ?? []))
    kinds.add('group policy');
  if (group?.members.length) kinds.add('membership');
  for (const role of Object.keys(after.roles)) if (!before.roles[role]) kinds.add('service-linked role');
  for (const secret of Object.keys(after.secrets)) if (!before.secrets[secret]) kinds.add('secret');
  return [...kinds];
}

interface Row {
  cell: Cell;
  actual: Outcome | 'error';
}
const rows: Row[] = [];

function printTable(title: string, cells: Cell[]) {
  const faults = [...new Set(cells.map((c) => c.fault))];
  const keyOf = (c: Cell) =>
    c.call ? cellName({ ...c, fault: '' }).replace(/ x $/, '') : `${c.state} (Lambda)`;
  const keys = [...new Set(cells.map(keyOf))];
  const short = (o: string) => (o === 'rollback incomplete' ? 'incomplete' : o);
  const text = (r: Row | undefined) =>
    !r
      ? '-'
      : r.actual === r.cell.expected
        ? `ok ${short(r.actual)}`
        : `FAIL ${short(r.actual)}!=${short(r.cell.expected)}`;
  const width = Math.max(...keys.map((k) => k.length)) + 2;
  const col = Math.max(...faults.map((f) => f.length), ...rows.map((r) => text(r).length)) + 2;
  const lines = [
    `${'task and call'.padEnd(width)}${faults.map((f) => f.padEnd(col)).join('')}`,
    ...keys.map(
      (k) =>
        `${k.padEnd(width)}${faults.map((f) => text(rows.find((r) => keyOf(r.cell) === k && r.cell.fault === f)).padEnd(col)).join('')}`,
    ),
  ];
  const matched = rows.filter((r) => r.actual === r.cell.expected).length;
  console.log(
    `\nFault matrix, ${title}: ${cells.length} cells derived from the declared calls, ${matched} of ${rows.length} run as expected ("ok <actual>", or "FAIL <actual>!=<expected>")\n${lines.join('\n')}\n`,
  );
}

async function arrangeExtras(stack: Stack) {
  const iam = iamOf(stack);
  await iam.send(new CreateAccessKeyCommand({ UserName: USER }));
  await iam.send(new AttachUserPolicyCommand({ UserName: USER, PolicyArn: READ_ONLY }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: USER,
      PolicyName: 'extra',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }],
      }),
    }),
  );
  await iam.send(new CreateLoginProfileCommand({ UserName: USER, Password: 'Extra-Passw0rd-1234' }));
  await iam.send(new AddUserToGroupCommand({ UserName: USER, GroupName: 'sre' }));
}

function outcomeOf(result: ExecutionResult): Outcome | 'error' {
  if (result.status === 'SUCCEEDED') return 'succeeded';
  if (result.status !== 'FAILED') return 'error';
  return result.error === 'RollbackIncomplete' ? 'rollback incomplete' : 'rolled back';
}

async function runCell(cell: Cell) {
  const stack = await openTestStack();
  const row: Row = { cell, actual: 'error' };
  rows.push(row);
  try {
    const iam = iamOf(stack);
    const sm = secretsOf(stack);
    // What existed before: the ECS role, and the group "sre" with ReadOnlyAccess.
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'sre', Path: config.groupPath }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'sre', PolicyArn: READ_ONLY }));
    if (cell.when === 'existing-group')
      await iam.send(new CreateGroupCommand({ GroupName: GROUP, Path: config.groupPath }));
    const before = await readAccount(iam, sm);

    const caller = principalKeyId(functionOf(cell.state));
    const faults: FaultSpec[] = [];
    if (cell.when === 'unproven-group') {
      // The group the plan did not find is created, but EnsureGroup's answer is lost: not proven ours.
      faults.push({
        action: 'CreateGroup',
        service: 'iam',
        caller: principalKeyId(functionOf('EnsureGroup')),
        kind: 'lost-response',
        count: 1,
      });
    }
    if (typeof cell.when === 'object') {
      // The call only happens after a lost answer of an earlier call of the same function: lose it.
      const lost = cell.when.afterLost;
      faults.push({
        action: verbOf(lost),
        service: serviceOf(lost),
        caller,
        kind: 'lost-response',
        count: 1,
      });
    }
    if (cell.call && cell.callFault)
      faults.push(cell.callFault.spec(verbOf(cell.call), serviceOf(cell.call), caller));
    const inRollback = cell.phase === 'undo' || cell.phase === 'report' || cell.laterFailure === true;
    if (inRollback) {
      faults.push({
        action: verbOf(trigger.action),
        service: serviceOf(trigger.action),
        caller: principalKeyId(functionOf(trigger.state)),
        kind: 'error',
        error: 'AccessDenied',
        count: 'always',
      });
    }
    let arranged = false;
    const result = await onboard(stack, request, {
      faults,
      ...(cell.lambdaFault ? { lambdaFaults: [cell.lambdaFault.fault(cell.state)] } : {}),
      ...(cell.when === 'user-extras'
        ? {
            // Once, before the first attempt of the faulted undo (its retries find them in place).
            beforeTask: async (state: string) => {
              if (state !== cell.state || arranged) return;
              arranged = true;
              await arrangeExtras(stack);
            },
          }
        : {}),
    });
    const after = await readAccount(iam, sm);
    row.actual = outcomeOf(result);

    // The fault fired: the declared call is really made, under its condition.
    if (cell.call && cell.callFault) {
      const spec = cell.callFault.spec(verbOf(cell.call), serviceOf(cell.call), caller);
      const made = stack.emulator
        ?.calls({ caller })
        .find(
          (c) =>
            c.service === serviceOf(cell.call as AwsAction) && c.action === verbOf(cell.call as AwsAction),
        );
      expect(made?.faults[spec.kind] ?? 0, `${cellName(cell)}: the fault never fired`).toBeGreaterThan(0);
    } else {
      const died = result.events.some(
        (e) =>
          e.type === 'StateFailed' &&
          e.state === cell.state &&
          /Lambda.Unknown|States.Timeout/.test(e.error ?? ''),
      );
      expect(died, `${cellName(cell)}: the Lambda fault never fired`).toBe(true);
    }
    // No function made a call it does not declare.
    for (const [key, stats] of Object.entries(stack.emulator?.callsByCaller() ?? {})) {
      const fn = bindings.find((b) => principalKeyId(b.functionKey) === key)?.functionKey;
      if (!fn) continue;
      const allowed = new Set((declaredByFunction[fn] ?? []).map((c) => c.action));
      const made = stats.map((s) => `${s.service}:${s.action}`);
      expect(
        made.filter((a) => !allowed.has(a as AwsAction)),
        `${fn} made undeclared calls`,
      ).toEqual([]);
    }

    // Nothing that existed before was changed (but for the onboarded user's own arranged membership).
    const sre = after.groups.sre;
    expect(sre && { ...sre, members: sre.members.filter((m) => m !== USER) }).toEqual(before.groups.sre);
    expect(after.roles).toMatchObject(before.roles);

    expect(row.actual, cellName(cell)).toBe(cell.expected);
    if (row.actual === 'succeeded') {
      const user = after.users[USER];
      expect(user?.tags['onboarding:execution']).toBe(result.executionArn);
      expect(user?.groups).toEqual([GROUP]);
      expect(user?.keys).toBe(1);
      expect(after.groups[GROUP]?.policies).toEqual([S3_READ, CW_READ].sort());
      expect(user?.policies).toEqual(
        [READ_ONLY, selfServicePolicyArn(config, stack.runtimeConfig.iamArnPrefix)].sort(),
      );
      expect(after.groups[GROUP]?.members).toEqual([USER]);
      expect(Object.keys(after.secrets)).toEqual([`onboarding/${USER}/access-key`]);
      expect(Object.keys(after.roles).filter((r) => r.includes('ElastiCache'))).toHaveLength(1);
      return;
    }
    if (row.actual === 'rolled back') {
      expect(after).toEqual(before);
      return;
    }
    const cause = JSON.parse(result.cause ?? '{}') as FailureCause;
    // A double fault leaves behind what its forward step could not prove ours, and names why.
    const failedUndo = cell.laterFailure ? undoStateName(cell.state) : cell.state;
    expect(cause.leftBehind.map((l) => l.step)).toEqual([failedUndo]);
    if (cell.laterFailure || cell.when === 'unproven-group') {
      const recovered = cell.when !== 'unproven-group' || cell.recoverable;
      if (recovered) expect(cause.leftBehind[0]?.error).toBe(NOT_PROVEN_OURS);
    }
    const covering = new Set([failedUndo, ...cause.kept.map((k) => k.step)]);
    for (const kind of leftovers(before, after)) {
      const owners = (OWNERS[kind] ?? []).map(undoStateName);
      expect(
        owners.some((o) => covering.has(o)),
        `${kind} is left, but neither ${cell.state} nor a kept undo owns it`,
      ).toBe(true);
    }
  } finally {
    await stack.close();
  }
}

/** The two halves: the cells of the forward tasks (Plan included), and those of the rollback. */
export type MatrixHalf = 'forward' | 'rollback';
const HALF_OF: Record<Cell['phase'], MatrixHalf> = {
  prepare: 'forward',
  approval: 'forward',
  forward: 'forward',
  undo: 'rollback',
  report: 'rollback',
};

export function runMatrix(half: MatrixHalf) {
  // The matrix's request is a data engineer's (unprivileged): the approval gate's task and the calls made
  // for a privileged profile alone are not arranged here - test/statemachine/approval.test.ts covers them.
  const cells = matrixCells().filter(
    (c) => HALF_OF[c.phase] === half && c.phase !== 'approval' && c.when !== 'privileged',
  );
  afterAll(() => printTable(`${half} tasks`, cells));
  describe.concurrent(`the fault matrix (${half} tasks)`, () => {
    it('has cells', () => expect(cells.length).toBeGreaterThan(0));
    for (const cell of cells) {
      it(`${cellName(cell)}: ${cell.expected}`, () => runCell(cell));
    }
  });
}
