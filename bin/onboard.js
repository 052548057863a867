#!/usr/bin/env node
// The `onboard` CLI. It runs from dist/onboard.mjs, the bundle `npm ci` builds (scripts/build-cli.mjs),
// while that bundle is newer than every source it was built from; otherwise (an edited source, no build,
// or ONBOARD_FROM_SOURCE=1) from the TypeScript sources through tsx: an edit is never shadowed by an old
// build, and there is no build step between an edit and a run.
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBundle } from './cli-bundle.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `onboard needs Node 22 (the Lambda runtime's version) but this is Node ${process.versions.node}. ` +
      'Run it as `npx onboard ...` or `npm run onboard -- ...` so that the pinned Node 22 is used.',
  );
  // 4: an environment problem (README, exit codes), not a failed onboarding.
  process.exit(4);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const bundle = freshBundle(root);
// V8's code cache for what a start loads (node_modules/.cache, with the other caches): a second start
// does not compile the bundle and the SDK again.
module.enableCompileCache?.(join(root, 'node_modules', '.cache', 'iam-onboarding', 'v8'));
let main;
if (bundle) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
