import { join } from 'node:path';
import { freshBundle } from '../../bin/cli-bundle.js';
import { buildCli } from '../../scripts/build-cli.mjs';

/**
 * Global setup of the e2e layer: the CLI runs from its bundle when the bundle is fresh (bin/onboard.js),
 * so the processes these tests start run what a user's `npx onboard` runs. `npm ci` builds it; after an
 * edit it is stale, and it is built again here, so no test runs an old build - nor, silently, the slower
 * sources instead (test/e2e/cli-bundle.test.ts runs those on purpose).
 */
export default async function setup() {
  const root = join(import.meta.dirname, '..', '..');
  if (!freshBundle(root, {})) await buildCli(root, { quiet: true });
}
