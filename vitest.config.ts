import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The workspace packages from their sources, as tsc and tsx see them (tsconfig.base.json `paths`);
// their package.json exports name the built dist/ files.
const root = fileURLToPath(new URL('.', import.meta.url));
const { paths } = (JSON.parse(readFileSync(`${root}tsconfig.base.json`, 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions;
const alias = Object.entries(paths).map(([name, [target]]) => ({ find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`), replacement: fileURLToPath(new URL(target!, `file://${root}`)) }));

// Two projects: fast unit tests (fakes allowed), and integration tests against the real Kafka
// broker and the real ClickHouse engine. Files run one at a time, each in its own process (the
// embedded engine opens one data directory per process; CI machines have 2 cores).
export default defineConfig({
  resolve: { alias },
  test: {
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['schemas/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/reference/**/*.test.ts', 'test/unit/**/*.test.ts', 'bench/test/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
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
