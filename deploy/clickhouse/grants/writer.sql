-- The pipeline's writer, for a ClickHouse server whose users are managed with SQL (SQL-driven access
-- control). It mirrors the `writer` user of deploy/clickhouse/users.d/cs-users.xml, which the docker
-- compose stack uses instead: apply one or the other, not both.
--
-- What it creates:
--   role cs_writer   what the processors and the migrations do, on the database only: create it and
--                    its tables and views (replacing a view drops it), insert, read, delete processor
--                    snapshots (ALTER DELETE), change TTLs (ALTER), OPTIMIZE; no DROP TABLE or DATABASE,
--                    except DROP TABLE of the tables a migration retired (0010: metric_sums_<grain>)
--   user writer      password login, the role by default
--
-- Apply on a server, as a user with access_management, replacing {{db}} with the database
-- (CS_DATABASE, default cs) and {{writer_password}} with the password (CS_WRITER_PASSWORD):
--
--   sed -e 's/{{db}}/cs/g' -e "s/{{writer_password}}/$CS_WRITER_PASSWORD/g" \
--       deploy/clickhouse/grants/writer.sql | clickhouse-client --user admin --multiquery
--
-- Then point the services at it: CLICKHOUSE_USER=writer CLICKHOUSE_PASSWORD=$CS_WRITER_PASSWORD.
-- Every statement is re-runnable. The embedded store's SQL endpoint enforces the same role for its
-- `writer` user (packages/clickhouse/src/sql-guard.ts). test/integration/grants.test.ts checks that
-- every statement parses and matches the users.d XML.

CREATE ROLE IF NOT EXISTS cs_writer;

GRANT SELECT, INSERT, ALTER, CREATE DATABASE, CREATE TABLE, CREATE VIEW, DROP VIEW, OPTIMIZE ON {{db}}.* TO cs_writer;
GRANT DROP TABLE ON {{db}}.metric_sums_minute TO cs_writer;
GRANT DROP TABLE ON {{db}}.metric_sums_hour TO cs_writer;
GRANT DROP TABLE ON {{db}}.metric_sums_day TO cs_writer;

CREATE USER IF NOT EXISTS writer
  IDENTIFIED WITH sha256_password BY '{{writer_password}}'
  HOST ANY;

GRANT cs_writer TO writer;

ALTER USER writer DEFAULT ROLE cs_writer;
