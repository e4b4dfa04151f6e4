import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests (fakes allowed), and integration tests against the real Kafka
// broker and the real ClickHouse engine. Files run one at a time, each in its own process (the
// embedded engine opens one data directory per process; CI machines have 2 cores).
export default defineConfig({
  test: {
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['schemas/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/reference/**/*.test.ts', 'test/unit/**/*.test.ts', 'bench/test/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/setup-file.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
