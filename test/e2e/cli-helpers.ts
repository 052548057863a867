import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { PROJECT_ROOT } from '../../src/definition.ts';

export const BIN = join(PROJECT_ROOT, 'bin', 'onboard.js');
export const EXAMPLE = join(PROJECT_ROOT, 'examples', 'new-hire.json');

/** The user's environment without any AWS endpoint: what a newcomer's shell looks like. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AWS_') && !k.startsWith('ONBOARDING_') && !k.startsWith('POWERTOOLS_')) env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** `onboard ...` as a process, as a user runs it. */
export function onboard(
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

/**
 * The CLI in-process (`main`, as bin/onboard.js calls it) with `env` added to this process's
 * environment for the call: no process start, the same exit code and output.
 */
export async function onboardInProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; out: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  const lines: string[] = [];
  const capture = (...a: unknown[]) => void lines.push(a.join(' '));
  const log = vi.spyOn(console, 'log').mockImplementation(capture);
  const errors = vi.spyOn(console, 'error').mockImplementation(capture);
  // Commander writes its own errors (a bad flag) straight to stderr.
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk).trimEnd());
    return true;
  });
  let code: number;
  try {
    code = await main(['node', 'onboard', ...args]);
  } finally {
    log.mockRestore();
    errors.mockRestore();
    stderr.mockRestore();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  return { code, out: lines.join('\n') };
}
