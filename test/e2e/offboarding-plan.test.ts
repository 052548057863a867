import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { config, iamOf, onboard, openTestStack } from '../helpers/local-stack.ts';
import { onboardInProcess } from './cli-helpers.ts';

/**
 * `onboard plan --offboard <user>`, as a user runs it against a seeded account: the leaver's plan (what
 * Contain switches off, what Remove deletes in AWS's order, what stays), read only; and the refusal of a
 * user this stack did not onboard, exit 2.
 */

const state = join(tmpdir(), `offboarding-plan-${process.pid}.json`);
const env = { AWS_REGION: 'us-east-1', NO_COLOR: '1' };

beforeAll(async () => {
  const stack = await openTestStack();
  try {
    const iam = iamOf(stack);
    const hire = { profile: 'data-engineers', contact: { recipient: TEST_HIRE_RECIPIENT } };
    expect((await onboard(stack, { ...hire, requestId: 'HR-7', userName: 'leaver' })).status).toBe(
      'SUCCEEDED',
    );
    await iam.send(new CreateUserCommand({ UserName: 'hand-made', Path: config.userPath }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'hand-made' }));
    await writeFile(state, JSON.stringify(stack.emulator?.snapshot()));
  } finally {
    await stack.close();
  }
}, 60_000);

afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(state, { force: true });
});

describe('onboard plan --offboard', () => {
  it("prints the leaver's plan: the deny, each credential switched off, the removal in AWS's order, what stays", async () => {
    const { code, out } = await onboardInProcess(
      ['plan', '--offboard', 'leaver', '--emulator-state', state],
      env,
    );

    expect(code).toBe(0);
    expect(out).toMatch(/Offboarding plan for leaver .*nothing written/);
    expect(out).toMatch(/onboarded by\s+arn:aws:states:us-east-1:\d+:execution:iam-onboarding-local:HR-7/);
    expect(out).toMatch(
      /deny everything \(attach arn:aws:iam::000000000000:policy\/iam-onboarding\/iam-onboarding-offboarding-contain\)/,
    );
    expect(out).toMatch(/switch off access key AKIA/);
    expect(out).toContain('delete the console password');
    const removal = out
      .split('\n')
      .filter((l) => /^\s+- /.test(l))
      .map((l) => l.trim().slice(2));
    expect(removal[0]).toBe('login profile');
    expect(removal[1]).toMatch(/^access key /);
    expect(removal.at(-3)).toBe('membership of data-engineers');
    expect(removal.at(-2)).toBe('user leaver');
    expect(removal.at(-1)).toMatch(/^secret .*leaver/);
    expect(out).toMatch(/kept\s+groups data-engineers \(only the membership goes\)/);
  });

  it('prints the same plan as JSON with --json: the snapshot, what containment switches off, the removal', async () => {
    const { code, out } = await onboardInProcess(
      ['plan', '--offboard', 'leaver', '--json', '--emulator-state', state],
      env,
    );

    expect(code).toBe(0);
    const plan = JSON.parse(out) as {
      snapshot: { user: { name: string }; accessKeys: unknown[] };
      contain: { denyPolicy: string; deactivate: { kind: string }[]; deleteLoginProfile: boolean };
      remove: string[];
      kept: { groups: string[] };
    };
    expect(plan.snapshot.user.name).toBe('leaver');
    expect(plan.contain).toMatchObject({
      denyPolicy: 'arn:aws:iam::000000000000:policy/iam-onboarding/iam-onboarding-offboarding-contain',
      deleteLoginProfile: true,
    });
    expect(plan.contain.deactivate.map((d) => d.kind)).toEqual(
      plan.snapshot.accessKeys.map(() => 'access key'),
    );
    expect(plan.remove.at(-1)).toBe('user leaver');
    expect(plan.kept.groups).toEqual(['data-engineers']);
  });

  it('refuses a user this stack did not onboard, naming why (exit 2)', async () => {
    const { code, out } = await onboardInProcess(
      ['plan', '--offboard', 'hand-made', '--emulator-state', state],
      env,
    );

    expect(code).toBe(2);
    expect(out).toMatch(
      /user "hand-made" was not onboarded by this stack \(it carries no onboarding:execution tag/,
    );
  });

  it('refuses a malformed user name before reading anything', async () => {
    const { code, out } = await onboardInProcess(['plan', '--offboard', 'ada lovelace!'], env);

    expect(code).toBe(2);
    expect(out).toMatch(/invalid user name "ada lovelace!"/);
  });
});

describe('onboard offboard', () => {
  it('contains and removes the leaver with --grace-days 0, naming what went (exit 0)', async () => {
    const { code, out } = await onboardInProcess(
      ['offboard', 'leaver', '--grace-days', '0', '--request-id', 'OFF-7', '--emulator-state', state],
      env,
    );
    expect(code, out).toBe(0);
    // Progress as the execution enters each state, in the leaver saga's order.
    expect(out.match(/· (\w+)/g)).toEqual(
      ['ValidateOffboarding', 'Snapshot', 'Contain', 'HasGracePeriod', 'Remove', 'Verify', 'Removed'].map(
        (s) => `· ${s}`,
      ),
    );
    expect(out).toMatch(/leaver offboarded \(OFF-7/);
    expect(out).toMatch(
      /contained first: deny-all attached, 1 credentials switched off, console password deleted/,
    );
    expect(out).toMatch(/- access key AKIA/);
    expect(out).toMatch(/- membership of data-engineers\n/);
    expect(out).toMatch(/- user leaver\n/);
    expect(out).toMatch(/secret: deleted; groups and policies stay/);
  });

  it('refuses a user this stack did not onboard as JSON, exit 2, nothing changed', async () => {
    const { code, out } = await onboardInProcess(
      ['offboard', 'hand-made', '--grace-days', '0', '--json', '--emulator-state', state],
      env,
    );
    expect(code).toBe(2);
    const outcome = JSON.parse(out) as { status: string; error: string; cause: string };
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'OffboardingRefused' });
    expect(outcome.cause).toMatch(/carries no onboarding:execution tag/);
  });

  it('refuses a grace period it cannot wait out, naming the fix, before anything is read (exit 2)', async () => {
    const { code, out } = await onboardInProcess(['offboard', 'leaver', '--emulator-state', state], env);
    expect(code).toBe(2);
    expect(out).toMatch(/grace period of 7 days cannot be waited out here.*--grace-days 0/);
  });
});
