// @cs/clickhouse — the one ClickHouse access layer: config, client, migrations, inserts, read-only SQL.
export { loadClickHouseConfig, repoRoot, stackDir, type ClickHouseConfig } from './config.ts';
export { openClickHouse, configOf, serverClientOptions, type ClickHouseClient, type OpenOptions } from './client.ts';
export { EmbeddedStoreLockedError, storeHolderPid } from './embedded.ts';
export { migrate, readMigrations, splitStatements, substitute, MigrationError, type MigrateOptions, type MigrateResult, type MigrationFile } from './migrate.ts';
export { insertRows, insertTsv, insertStream, InsertError, type InsertOptions, type RawInsert } from './insert.ts';
export { retryTransient, isTransientError, type RetryOptions } from './retry.ts';
export { InsertCoalescer, mergedToken, type WriteOptions } from './insert-coalescer.ts';
export { BatchWriter, type BatchWriterOptions } from './batch-writer.ts';
export { runEmbeddedQuery, type EmbeddedQuery, type EmbeddedQueryResult } from './readonly-query.ts';
export { startSqlEndpoint, clickhouseErrorText, type SqlEndpoint, type SqlEndpointOptions } from './sql-endpoint.ts';
export { loadSqlAccess, authenticate, requestCredentials, limitSettings, SQL_USERS, type SqlAccess, type SqlAccount, type SqlRole, type ReaderLimits, type Credentials } from './sql-access.ts';
export { checkStatement, RETIRED_TABLES, splitInsertData, type SplitStatement } from './sql-guard.ts';
export { serveEmbeddedStore } from './serve.ts';
export { writeEndpointFile, readEndpointFile, removeEndpointFile, defaultEndpointFile, type EndpointInfo } from './endpoint-file.ts';
export { formatClause, isMultiStatement, maskSql } from './sql-text.ts';
export { queryStore, queryStoreRows, StoreQueryError, type StoreQuery, type StoreQueryOutcome } from './store-query.ts';
export { isClickHouseError, type ClickHouseErrorLike } from './errors.ts';
export { encodeTsv, tsvLine, tsvValue, TsvBuffer } from './tsv.ts';
