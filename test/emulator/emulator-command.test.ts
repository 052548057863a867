import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openEmulator } from '../../packages/aws-emulator/test/helpers.ts';
import { emulatorCommand } from '../../src/cli/commands/emulator.ts';
import { UsageError } from '../../src/cli/io.ts';
import { PROJECT_ROOT } from '../../src/definition.ts';

/** A throwaway program holding only the command, as the real `onboard` wires it. */
function program(): Command {
  return new Command('onboard').exitOverride().addCommand(emulatorCommand());
}

/** Resolves with what the command printed once it prints `until` (its banner is complete). */
function printed(log: ReturnType<typeof vi.spyOn>, until: string): Promise<string> {
  return vi.waitFor(
    () => {
      const out = log.mock.calls.map((args: unknown[]) => args.join(' ')).join('\n');
      if (!out.includes(until)) throw new Error(`not yet: ${out}`);
      return out;
    },
    { timeout: 10_000, interval: 10 },
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('onboard emulator', () => {
  it('prints the endpoint and ready-to-paste export lines, and on SIGINT stops and saves the state', async () => {
    // Prepare
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const file = join(await mkdtemp(join(tmpdir(), 'emulator-cli-')), 'account.json');
    const running = program().parseAsync(['node', 'onboard', 'emulator', '--state', file]);
    const out = await printed(log, 'Saving the account');
    const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    const iam = new IAMClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    process.emit('SIGINT');
    await running;

    // Assess
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const line of [
      `export AWS_ENDPOINT_URL_IAM=${endpoint}`,
      `export AWS_ENDPOINT_URL_SECRETS_MANAGER=${endpoint}`,
      `export AWS_ENDPOINT_URL_STS=${endpoint}`,
      'export AWS_REGION=us-east-1',
      'export AWS_DEFAULT_REGION=us-east-1',
      'export AWS_ACCESS_KEY_ID=',
      'export AWS_SECRET_ACCESS_KEY=',
    ]) {
      expect(out).toContain(line);
    }
    expect(JSON.parse(await readFile(file, 'utf8')).users.alice.name).toBe('alice');
    await expect(fetch(`${endpoint}/_emulator/health`)).rejects.toThrow();
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('refuses a port that is taken, with a clear usage error', async () => {
    // Prepare
    const taken = await openEmulator();

    // Act
    const failure = program().parseAsync(['node', 'onboard', 'emulator', '--port', String(taken.port)]);

    // Assess
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(`port ${taken.port} on 127.0.0.1 is already in use`);
  });

  it('refuses a port that is not a number', async () => {
    // Prepare
    const command = program();

    // Act
    const failure = command.parseAsync(['node', 'onboard', 'emulator', '--port', 'http']);

    // Assess
    await expect(failure).rejects.toThrow(new UsageError('--port http: not a port number'));
  });

  it('runs as `onboard emulator` in its own process and exits 0 on SIGTERM', async () => {
    // Prepare
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'onboard.js'), 'emulator'], {
      cwd: PROJECT_ROOT,
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('Control:')) resolve();
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      setTimeout(() => reject(new Error(`no banner: ${out}`)), 20_000);
    });
    const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    // Act
    const health = await fetch(`${endpoint}/_emulator/health`);
    child.kill('SIGTERM');

    // Assess
    expect(health.status).toBe(200);
    expect(out).toContain(`export AWS_ENDPOINT_URL_IAM=${endpoint}`);
    expect(await exited).toBe(0);
  }, 30_000);
});
