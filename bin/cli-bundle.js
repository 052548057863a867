// Whether the CLI's bundle (dist/onboard.mjs, built by scripts/build-cli.mjs) may run: it exists and
// was built after the last change to every source it lists (dist/onboard.inputs.json). Plain JS, no
// dependency: bin/onboard.js asks before it loads anything else.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const BUNDLE = join('dist', 'onboard.mjs');
export const BUNDLE_INPUTS = join('dist', 'onboard.inputs.json');

/** The bundle's path under `root`, or undefined: none, stale, or ONBOARD_FROM_SOURCE=1 in `env`. */
export function freshBundle(root, env = process.env) {
  if (env.ONBOARD_FROM_SOURCE === '1') return undefined;
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(join(root, BUNDLE_INPUTS), 'utf8'));
    const bundle = join(root, BUNDLE);
    if (typeof builtAt !== 'number' || !Array.isArray(inputs) || inputs.length === 0) return undefined;
    if (statSync(bundle).mtimeMs < builtAt) return undefined;
    for (const input of inputs) if (statSync(join(root, input)).mtimeMs >= builtAt) return undefined;
    return bundle;
  } catch {
    // No bundle, or a source it lists is gone: run from the sources.
    return undefined;
  }
}
