import { execFileSync } from 'node:child_process';
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Global setup of the deploy layer: the template tests read `.serverless/` as `npm run package` leaves
 * it. CI packages once before `npm test`; a developer who changed what the template is built from gets
 * a fresh package here, so the tests never read a stale one. The prod stage is packaged beside it, in
 * `.serverless-prod/`, for the side-by-side test.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const DEV_DIR = join(ROOT, '.serverless');
const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
/** The prod stage's package (`npm run package -- --stage prod --package .serverless-prod`). */
export const PROD_DIR = join(ROOT, '.serverless-prod');
export const PROD_TEMPLATE = join(PROD_DIR, TEMPLATE_FILE);
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

function packagedAt(template: string): number | undefined {
  try {
    return statSync(template).mtimeMs;
  } catch {
    return undefined;
  }
}

const packageStack = (args: string[] = []): void => {
  execFileSync('bash', [join(ROOT, 'scripts', 'package.sh'), ...args], { cwd: ROOT, stdio: 'pipe' });
};

/**
 * `serverless package --package DIR` still builds in `.serverless/`: it deletes that directory first and
 * again once it has copied the result to DIR. The dev package is set aside meanwhile and put back
 * (a rename keeps its time, so it is not taken for stale), before any test reads it.
 */
function packageProd(): void {
  const aside = join(ROOT, '.serverless-dev-aside');
  rmSync(aside, { recursive: true, force: true });
  renameSync(DEV_DIR, aside);
  try {
    packageStack(['--stage', 'prod', '--package', PROD_DIR]);
  } finally {
    rmSync(DEV_DIR, { recursive: true, force: true });
    renameSync(aside, DEV_DIR);
  }
}

export default function setup(): void {
  const changed = Math.max(...INPUTS.map((p) => newest(join(ROOT, p))));
  const dev = packagedAt(join(DEV_DIR, TEMPLATE_FILE));
  if (dev === undefined || dev < changed) {
    console.log(dev === undefined ? 'packaging the stack (npm run package)' : 'repackaging: sources changed');
    packageStack();
  }
  const prod = packagedAt(PROD_TEMPLATE);
  if (prod === undefined || prod < changed) {
    console.log('packaging the prod stage into .serverless-prod/');
    packageProd();
  }
}
