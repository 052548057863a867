import { defineConfig } from 'vitest/config';

// For `npm test` in this package alone; from the root, the "emulator" project of the root config runs these.
export default defineConfig({
  test: { name: 'emulator', include: ['test/**/*.test.ts'] },
});
