import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Runs the reference calculator's own unit tests (npx vitest run --config test/reference/vitest.config.ts).
// The lead may instead add 'test/reference/**/*.test.ts' to the root config's unit project.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    name: 'reference',
    include: ['test/reference/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
