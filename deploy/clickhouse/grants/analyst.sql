-- Read-only analyst access, for a ClickHouse server whose users are managed with SQL
-- (SQL-driven access control: a writable user directory, the `local_directory` a server has by
-- default). It mirrors the `analyst` user of deploy/clickhouse/users.d/cs-users.xml, which the
-- docker compose stack uses instead: apply one or the other, not both (a user defined in users.d
-- XML is read-only to SQL and `GRANT cs_analyst TO analyst` would fail on it).
--
-- What it creates:
--   role cs_analyst              SELECT on every table and view of the database, nothing else
--   settings profile cs_analyst  readonly = 2 and resource caps, for holders of the role
--   user analyst                 password login, the role by default, readonly = 2 on the user too
--
-- readonly = 2, not 1: data and schema stay read-only, but session settings may change — Grafana's
-- ClickHouse data source sets max_execution_time on every query, which readonly = 1 refuses. The
-- MAX constraints cap what the analyst may raise.
--
-- Apply on a server, as a user with access_management (the pipeline user has none), replacing
-- {{db}} with the database (CS_DATABASE, default cs) and {{analyst_password}} with the password:
--
--   sed -e 's/{{db}}/cs/g' -e "s/{{analyst_password}}/$CS_ANALYST_PASSWORD/g" \
--       deploy/clickhouse/grants/analyst.sql | clickhouse-client --user admin --multiquery
--
-- Every statement is re-runnable (IF NOT EXISTS; GRANT is idempotent). To change the password
-- later: ALTER USER analyst IDENTIFIED WITH sha256_password BY '…'.
--
-- The embedded engine (chdb, the zero-setup default) has no users and no writable user directory:
-- this file does not apply there. Its SQL endpoint (npm run sql, the HTTP endpoint of npm start) is
-- read-only by construction: every query runs on its own connection with readonly = 1.
-- test/integration/analyst-queries.test.ts checks that every statement here parses.

CREATE ROLE IF NOT EXISTS cs_analyst;

GRANT SELECT ON {{db}}.* TO cs_analyst;

CREATE SETTINGS PROFILE IF NOT EXISTS cs_analyst
  SETTINGS readonly = 2,
           max_execution_time = 120 MAX 600,
           max_memory_usage = 4000000000 MAX 8000000000
  TO cs_analyst;

CREATE USER IF NOT EXISTS analyst
  IDENTIFIED WITH sha256_password BY '{{analyst_password}}'
  HOST ANY
  DEFAULT DATABASE {{db}}
  SETTINGS readonly = 2;

GRANT cs_analyst TO analyst;

ALTER USER analyst DEFAULT ROLE cs_analyst;
