// The embedded store served to other processes and people: the SQL endpoint on SQL_HOST:SQL_PORT with
// the users of the environment (sql-access.ts), advertised in the endpoint file for `npm run sql`.
import type { ClickHouseClient } from '@clickhouse/client';
import { envReader, type Logger } from '@cs/runtime';
import { configOf } from './client.ts';
import { removeEndpointFile, writeEndpointFile } from './endpoint-file.ts';
import { loadSqlAccess } from './sql-access.ts';
import { startSqlEndpoint, type SqlEndpoint } from './sql-endpoint.ts';

type Env = Record<string, string | undefined>;

/**
 * Starts the endpoint for an embedded-store client: `SQL_HOST` (default 127.0.0.1), `SQL_PORT` (default
 * 8124; 0 picks a free port), users from CS_WRITER_PASSWORD / CS_ANALYST_PASSWORD / CS_GRAFANA_PASSWORD,
 * the endpoint file at CS_SQL_ENDPOINT_FILE (default .stack/sql-endpoint.json). `close()` removes the
 * file and stops the server.
 */
export async function serveEmbeddedStore(client: ClickHouseClient, opts: { env?: Env; log?: Logger } = {}): Promise<SqlEndpoint & { writable: boolean }> {
  const env = opts.env ?? process.env;
  const cfg = configOf(client);
  if (cfg?.mode !== 'embedded') throw new Error('serveEmbeddedStore needs an embedded-store client from openClickHouse()');
  const r = envReader(env);
  const access = loadSqlAccess(env);
  const host = r.string('SQL_HOST', '127.0.0.1');
  const endpoint = await startSqlEndpoint(client, { host, port: r.int('SQL_PORT', 8124), database: cfg.database, access, log: opts.log });
  const endpointFile = env.CS_SQL_ENDPOINT_FILE || undefined;
  // The file names a loopback address when the endpoint listens on every interface.
  const url = host === '0.0.0.0' || host === '::' ? `http://127.0.0.1:${endpoint.port}` : endpoint.url;
  writeEndpointFile({ url, dataDir: cfg.dataDir, database: cfg.database }, endpointFile);
  const writable = access.accounts.some((a) => a.role === 'writer');
  opts.log?.info(
    { url: endpoint.url, users: access.accounts.map((a) => a.user), anonymousAnalyst: access.anonymousReader, readerLimits: access.limits },
    writable ? 'SQL endpoint listening (read-only analysts, writer enabled)' : 'SQL endpoint listening (read-only)',
  );
  return {
    ...endpoint,
    url,
    writable,
    close: async () => {
      removeEndpointFile(endpointFile);
      await endpoint.close();
    },
  };
}
