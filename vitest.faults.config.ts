import { defineConfig } from 'vitest/config';
import { alias, realBackendsProject } from './vitest.config.ts';

// `npm run test:faults`: every fault scenario (docs/reliability.md), the CI subset included, one file
// at a time against the real broker and engine. Scenarios that kill the broker start their own.
export default defineConfig({
  resolve: { alias },
  test: {
    fileParallelism: false,
    projects: [realBackendsProject('faults', ['test/faults/**/*.test.ts'], 900_000)],
  },
});
