import { defineConfig } from 'vitest/config';

// One project per test layer (conventions §10): each has its own npm script, `npm test` runs all.
export default defineConfig({
  test: {
    // Lambda logs are asserted where they matter (the no-secret test turns them on); elsewhere quiet.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'emulator',
          // The package's own tests, and the `onboard emulator` command's (it is the root CLI's).
          include: ['packages/aws-emulator/test/**/*.test.ts', 'test/emulator/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          globalSetup: ['test/deploy/package-once.ts'],
          hookTimeout: 180_000,
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
        },
      },
      {
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
      },
    ],
  },
});
