import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Global setup of the deploy layer: the template tests read `.serverless/` as `npm run package` leaves
 * it. CI packages once before `npm test`; a developer who changed what the template is built from gets
 * a fresh package here, so the tests never read a stale one.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const TEMPLATE = join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');
const INPUTS = [
  'serverless.yml',
  'package-lock.json',
  'config',
  'functions',
  'src',
  'statemachine',
  'scripts/package.sh',
];

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

function packagedAt(): number | undefined {
  try {
    return statSync(TEMPLATE).mtimeMs;
  } catch {
    return undefined;
  }
}

export default function setup(): void {
  const packaged = packagedAt();
  const changed = Math.max(...INPUTS.map((p) => newest(join(ROOT, p))));
  if (packaged !== undefined && packaged >= changed) return;
  console.log(
    packaged === undefined ? 'packaging the stack (npm run package)' : 'repackaging: sources changed',
  );
  execFileSync('bash', [join(ROOT, 'scripts', 'package.sh')], { cwd: ROOT, stdio: 'pipe' });
}
