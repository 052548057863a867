import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORWARD_STATES } from '../../src/steps/index.ts';
import { cleanEnv, EXAMPLE, onboard } from './cli-helpers.ts';

describe('onboard run', () => {
  it('onboards the example on the embedded stack and prints the timeline', async () => {
    const { code, stdout } = await onboard(['run', EXAMPLE]);
    expect(code).toBe(0);
    expect(stdout).toContain('on the embedded local stack');
    for (const step of [
      'ValidateRequest',
      'Plan',
      'CreateUser',
      'EnsureGroup',
      'AddUserToGroup',
      'CreateAccessKey',
    ]) {
      expect(stdout).toMatch(new RegExp(`✓ ${step}\\s`));
    }
    expect(stdout).toContain('Onboarded in');
    expect(stdout).toMatch(/access key\s+AKIA[0-9A-Z]{16}/);
  });

  it('uses the embedded stack even when the shell holds AWS credentials', async () => {
    const env = cleanEnv({
      AWS_ACCESS_KEY_ID: 'AKIAREALLOOKING00000',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_PROFILE: 'prod',
    });
    const { code, stdout } = await onboard(['run', EXAMPLE], env);
    expect(code).toBe(0);
    expect(stdout).toContain('embedded local stack');
  });

  it('shows retries when a call is throttled, and still succeeds', async () => {
    const { code, stdout } = await onboard(['run', EXAMPLE, '--throttle', 'CreateUser:2', '--fast-retries']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/↻ CreateUser\s+Throttling - retry/);
  });

  it('says when a lost answer was adopted by its tag', async () => {
    const { code, stdout } = await onboard(['run', EXAMPLE, '--lose', 'CreateUser']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/✓ CreateUser\s.*adopted by its tag/);
  });

  it('rolls back and exits 1 when a step is denied', async () => {
    const { code, stdout } = await onboard(['run', EXAMPLE, '--fail', 'CreateAccessKey:AccessDenied']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ CreateAccessKey\s.*AccessDenied/);
    expect(stdout).toMatch(/↩ UndoCreateUser\s.*undone: deleted user ada\.lovelace/);
    expect(stdout).toContain('Onboarding failed');
    expect(stdout).toContain('failed step   CreateAccessKey');
  });

  it('exits 3 and names the leftover when an undo keeps failing', async () => {
    const { code, stdout } = await onboard([
      'run',
      EXAMPLE,
      '--fail',
      'CreateAccessKey:AccessDenied',
      '--fail',
      'DeleteUser:ServiceFailure',
      '--fast-retries',
    ]);
    expect(code).toBe(3);
    expect(stdout).toContain('rollback is INCOMPLETE');
    expect(stdout).toMatch(/LEFT BEHIND\s+UndoCreateUser: ServiceFailure/);
  });

  it('prints the outcome as JSON with --json, with references but no secret', async () => {
    const { code, stdout } = await onboard(['run', EXAMPLE, '--json']);
    expect(code).toBe(0);
    const outcome = JSON.parse(stdout) as {
      requestId: string;
      status: string;
      timeline: { state: string; status: string }[];
      created: { CreateAccessKey: Record<string, unknown> };
    };
    expect(outcome).toMatchObject({ requestId: 'HR-1042', status: 'succeeded' });
    // Every forward state once, the approval Choice passing an unprivileged request on, then the end.
    const [validate, ...planned] = FORWARD_STATES;
    expect(outcome.timeline.map((s) => s.state)).toEqual([
      validate,
      'NeedsApproval',
      ...planned,
      'OnboardingSucceeded',
    ]);
    expect(outcome.timeline.every((s) => s.status === 'succeeded')).toBe(true);
    expect(outcome.created.CreateAccessKey.secretArn).toMatch(/^arn:aws:secretsmanager:/);
    expect(stdout).not.toMatch(/SecretAccessKey/);
  });

  it('answers errors as JSON on stdout under --json, with the usual exit codes', async () => {
    const bad = join(tmpdir(), `bad-request-json-${process.pid}.json`);
    await writeFile(bad, JSON.stringify({ requestId: 'HR-1', userName: 'has space', profile: 'developers' }));
    const rejected = await onboard(['run', bad, '--json']);
    expect(rejected.code).toBe(2);
    expect(JSON.parse(rejected.stdout)).toEqual({
      error: {
        name: 'InvalidRequest',
        message:
          'invalid onboarding request: userName: may only contain letters, digits and + = . @ _ - (valid in both IAM user and Secrets Manager secret names; no comma)',
        issues: [
          {
            path: 'userName',
            message:
              'may only contain letters, digits and + = . @ _ - (valid in both IAM user and Secrets Manager secret names; no comma)',
          },
        ],
      },
    });

    const unknownFlag = await onboard(['run', EXAMPLE, '--json', '--no-such-flag']);
    expect(unknownFlag.code).toBe(2);
    expect(JSON.parse(unknownFlag.stdout)).toEqual({
      error: { name: 'UsageError', message: "unknown option '--no-such-flag'" },
    });
    expect(unknownFlag.stderr).toBe('');

    const halfConfigured = await onboard(
      ['run', EXAMPLE, '--json'],
      cleanEnv({ AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9' }),
    );
    expect(halfConfigured.code).toBe(4);
    expect(JSON.parse(halfConfigured.stdout)).toMatchObject({ error: { name: 'StackError' } });

    const noMachine = await onboard(['status', 'HR-1', '--json']);
    expect(noMachine.code).toBe(2);
    expect(JSON.parse(noMachine.stdout)).toMatchObject({ error: { name: 'UsageError' } });
  });

  it('rejects a bad request with exit 2, naming the field, before starting anything', async () => {
    const bad = join(tmpdir(), `bad-request-${process.pid}.json`);
    await writeFile(bad, JSON.stringify({ requestId: 'HR-1', userName: 'has space', profile: 'admins' }));
    const { code, stderr, stdout } = await onboard(['run', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain('userName: may only contain');
    expect(stdout).not.toContain('embedded local stack');
  });

  it('rejects unreadable JSON and unknown fault flags with exit 2', async () => {
    expect((await onboard(['run', '/nonexistent.json'])).code).toBe(2);
    const { code, stderr } = await onboard(['run', EXAMPLE, '--crash', 'NoSuchState']);
    expect(code).toBe(2);
    expect(stderr).toContain('--crash NoSuchState');
    const typo = await onboard(['run', EXAMPLE, '--fail', 'CreateUsr:AccessDenied']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no step calls "CreateUsr" (did you mean "CreateUser"?)');
    expect(typo.stdout).not.toContain('embedded local stack');
  });

  it('refuses half-configured endpoints rather than reach a real account', async () => {
    const env = cleanEnv({ AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9' });
    const { code, stderr } = await onboard(['run', EXAMPLE], env);
    expect(code).toBe(4);
    expect(stderr).toContain('AWS_ENDPOINT_URL_SECRETS_MANAGER');
  });
});

describe('onboard plan, graph and schema', () => {
  it('plans without writing anything: the profile, its boundary, the group and whether an approval is needed', async () => {
    const { code, stdout } = await onboard(['plan', EXAMPLE]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\+ create user\s+\/onboarded\/ada\.lovelace/);
    expect(stdout).toContain('nothing written');
    expect(stdout).toMatch(/profile\s+data-engineers\n/);
    expect(stdout).toMatch(
      /boundary\s+team-member: arn:aws:iam::000000000000:policy\/iam-onboarding\/iam-onboarding-team-member/,
    );
    expect(stdout).toMatch(/approval\s+not needed/);
    expect(stdout).toMatch(/group\s+data-engineers: to be created/);
    expect(stdout).toMatch(/\+ attach policy to user\s+arn:aws:iam::aws:policy\/AmazonEC2ReadOnlyAccess/);
  });

  it('plans a privileged profile and says it needs an approval; run without a decision refuses with exit 2, starting nothing', async () => {
    const admin = EXAMPLE.replace('new-hire.json', 'stepfunctions-admin.json');
    const plan = await onboard(['plan', admin]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/profile\s+stepfunctions-admin \(privileged\)/);
    expect(plan.stdout).toMatch(/approval\s+required/);
    const run = await onboard(['run', admin]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /profile "stepfunctions-admin" is privileged: it waits for an approval by alice@example.com or bob@example.com/,
    );
    expect(run.stderr).toContain('--approve-as alice@example.com');
    expect(run.stdout).not.toContain('embedded local stack');
  });

  it('says "attached to existing group (drift repair)" in the plan and the output', async () => {
    const state = join(tmpdir(), `drift-state-${process.pid}.json`);
    // The profile's group exists, without the policy its profile says it carries.
    await writeFile(
      state,
      JSON.stringify({
        groups: { 'elasticache-developers': { name: 'elasticache-developers', path: '/onboarded/' } },
      }),
    );
    const example = EXAMPLE.replace('new-hire.json', 'elasticache-developer.json');
    const plan = await onboard(['plan', example, '--emulator-state', state]);
    expect(plan.stdout).toMatch(
      /drift: 1 profile policy missing \(attached to existing group as drift repair/,
    );
    expect(plan.stdout).toMatch(
      /\+ attach to existing group \(drift repair\)\s+arn:aws:iam::aws:policy\/AmazonElastiCacheFullAccess/,
    );
    const run = await onboard(['run', example, '--emulator-state', state]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /attached\s+arn:aws:iam::aws:policy\/AmazonElastiCacheFullAccess to existing group \(drift repair\)/,
    );
  });

  it('draws the state machine and prints the request schema', async () => {
    expect((await onboard(['graph'])).stdout).toMatch(/^flowchart TD/);
    const schema = JSON.parse((await onboard(['schema'])).stdout) as {
      required: string[];
      properties: { profile: { enum: string[] } };
    };
    expect(schema.required).toEqual(expect.arrayContaining(['requestId', 'userName', 'profile']));
    expect(schema.properties.profile.enum).toEqual([
      'elasticache-developer',
      'stepfunctions-admin',
      'kinesis-video-admin',
      'developers',
      'data-engineers',
      'sre',
      'support',
    ]);
  });
});
