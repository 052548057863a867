import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/sequencer.ts';

// One project per test layer (conventions §10): each has its own npm script, `npm test` runs all.
export default defineConfig({
  test: {
    // Lambda logs are asserted where they matter (the no-secret test turns them on); elsewhere quiet.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    // One worker per core (vitest's default in a run is one fewer: a single worker on 2 cores), and
    // the longest files first so that both workers stay busy to the end.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      // The layers that leave no global state behind share their workers' module graphs (isolating
      // every file re-imports the SDK and recompiles the state machine's schema: half their CPU).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      {
        extends: true,
        test: {
          name: 'emulator',
          // The package's own tests, and the `onboard emulator` command's (it is the root CLI's).
          include: ['packages/aws-emulator/test/**/*.test.ts', 'test/emulator/**/*.test.ts'],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          globalSetup: ['test/deploy/package-once.ts'],
          hookTimeout: 180_000,
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'statemachine',
          include: ['test/statemachine/**/*.test.ts'],
          testTimeout: 60_000,
          // The fault matrix's cells each run on their own emulator: most of a cell is waiting.
          maxConcurrency: 8,
          isolate: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // The CLI's processes run its bundle: built here when a source is newer (test/e2e/cli-bundle-once.ts).
          globalSetup: ['test/e2e/cli-bundle-once.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
