import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/runner/definition.ts';

const BIN = join(PROJECT_ROOT, 'bin', 'onboard.js');
const EXAMPLE = join(PROJECT_ROOT, 'examples', 'new-hire.json');

/** The user's environment without any AWS endpoint: what a newcomer's shell looks like. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AWS_') && !k.startsWith('ONBOARDING_') && !k.startsWith('POWERTOOLS_')) env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

function onboard(
  args: string[],
  env = cleanEnv(),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: PROJECT_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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

  it('prints machine-readable JSON with --json, with references but no secret', async () => {
    const { code, stdout } = await onboard(['run', EXAMPLE, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      status: string;
      output: { created: { CreateAccessKey: Record<string, unknown> } };
    };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.created.CreateAccessKey.secretArn).toMatch(/^arn:aws:secretsmanager:/);
    expect(stdout).not.toMatch(/SecretAccessKey/);
  });

  it('rejects a bad request with exit 2, naming the field, before starting anything', async () => {
    const bad = join(tmpdir(), `bad-request-${process.pid}.json`);
    await writeFile(bad, JSON.stringify({ requestId: 'HR-1', userName: 'has space', group: 'admins' }));
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
    expect(code).toBe(1);
    expect(stderr).toContain('AWS_ENDPOINT_URL_SECRETS_MANAGER');
  });
});

describe('onboard plan, graph and schema', () => {
  it('plans without writing anything', async () => {
    const { code, stdout } = await onboard(['plan', EXAMPLE]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\+ create user\s+\/onboarded\/ada\.lovelace/);
    expect(stdout).toContain('nothing written');
  });

  it('draws the state machine and prints the request schema', async () => {
    expect((await onboard(['graph'])).stdout).toMatch(/^flowchart TD/);
    const schema = JSON.parse((await onboard(['schema'])).stdout) as { required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['requestId', 'userName', 'group']));
  });
});
