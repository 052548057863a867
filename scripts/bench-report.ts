import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/definition.ts';

/**
 * A benchmark's figures in reports/<name>.md: what it printed, when, and on what machine, so that a
 * figure quoted in a note or the README can be traced to its run. `npm run bench` rewrites them all.
 */
export async function writeReport(name: string, title: string, lines: string[]): Promise<string> {
  const dir = join(PROJECT_ROOT, 'reports');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.md`);
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.versions.node}`;
  const text = [
    `# ${title}`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine} by \`npm run bench:${name.replace(/^bench-/, '')}\`.`,
    '',
    '```',
    ...lines,
    '```',
    '',
  ].join('\n');
  await writeFile(path, text);
  return path;
}
