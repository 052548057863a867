import { relative } from 'node:path';
import { PROJECT_ROOT } from '../paths.ts';

/**
 * The functions/ modules the local runner loads, when they were linked in ahead of time: the CLI's
 * prebuilt bundle (scripts/build-cli.mjs) carries every functions/ module and registers them here, so a
 * run from it does not load TypeScript sources. From the sources (tests, tsx), nothing is registered and
 * each module is imported from its file. Keyed by the file's path from the project's root.
 */
const LINKED = new Map<string, Record<string, unknown>>();

export function linkFunctionModules(modules: Record<string, Record<string, unknown>>): void {
  for (const [file, mod] of Object.entries(modules)) LINKED.set(file, mod);
}

export async function loadFunctionModule(file: string): Promise<Record<string, unknown>> {
  const linked = LINKED.get(relative(PROJECT_ROOT, file));
  if (linked) return linked;
  const { pathToFileURL } = await import('node:url');
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}
