import { spawn } from 'node:child_process';
import { join } from 'node:path';
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
