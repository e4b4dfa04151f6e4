// Where the migration files are. They stay in deploy/clickhouse/migrations, next to the rest of the
// deployment, so the data flow reads in the tree; this is the one piece of code that looks for them.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Path of the migrations below the repository (or image) root. */
export const MIGRATIONS_SUBDIR = join('deploy', 'clickhouse', 'migrations');

const isDir = (path: string) => existsSync(path) && statSync(path).isDirectory();

/**
 * The migrations directory: CS_MIGRATIONS_DIR when set, else the nearest `deploy/clickhouse/migrations`
 * above `from` (this module's directory by default). The search works the same from the sources, a
 * build output (dist/) or an image that copies the repository, whatever their depth.
 */
export function migrationsDir(opts: { env?: Record<string, string | undefined>; from?: string } = {}): string {
  const override = (opts.env ?? process.env).CS_MIGRATIONS_DIR;
  if (override) {
    const dir = resolve(override);
    if (!isDir(dir)) throw new Error(`CS_MIGRATIONS_DIR is not a directory: ${dir}`);
    return dir;
  }
  const from = resolve(opts.from ?? dirname(fileURLToPath(import.meta.url)));
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, MIGRATIONS_SUBDIR);
    if (isDir(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`cannot find ${MIGRATIONS_SUBDIR} in ${from} or above it; set CS_MIGRATIONS_DIR to the directory of the NNNN_<name>.sql files`);
}
