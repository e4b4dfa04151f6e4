import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The workspace packages from their sources, as tsc and tsx see them (tsconfig.base.json `paths`);
// their package.json exports name the built dist/ files.
const root = fileURLToPath(new URL('.', import.meta.url));
const { paths } = (JSON.parse(readFileSync(`${root}tsconfig.base.json`, 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions;
export const alias = Object.entries(paths).map(([name, [target]]) => ({ find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`), replacement: fileURLToPath(new URL(target!, `file://${root}`)) }));

/**
 * The fault scenarios that fit CI's budget run with `npm test` (project `faults-ci`); every scenario,
 * these included, runs with `npm run test:faults` (vitest.faults.config.ts). docs/reliability.md.
 */
export const FAULTS_IN_CI = ['test/faults/crash-windows.test.ts', 'test/faults/bad-input.test.ts'];

/** A project against the real Kafka broker and the real ClickHouse engine (started once per run). */
export function realBackendsProject(name: string, include: string[], timeoutMs = 180_000) {
  return {
    extends: true as const,
    test: {
      name,
      include,
      globalSetup: ['test/support/global-setup.ts'],
      setupFiles: ['test/support/setup-file.ts'],
      testTimeout: timeoutMs,
      hookTimeout: timeoutMs,
    },
  };
}

// Projects: fast unit tests (fakes allowed), integration tests against the real Kafka broker and the
// real ClickHouse engine, and the fault scenarios that fit CI. Files run one at a time, each in its
// own process (the embedded engine opens one data directory per process; CI machines have 2 cores).
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
      realBackendsProject('integration', ['test/integration/**/*.test.ts']),
      realBackendsProject('faults-ci', FAULTS_IN_CI, 600_000),
    ],
  },
});
