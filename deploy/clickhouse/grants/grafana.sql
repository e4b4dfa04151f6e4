-- The Grafana data source's read-only user, for a ClickHouse server whose users are managed with SQL.
-- It mirrors the `grafana` user of deploy/clickhouse/users.d/cs-users.xml (compose uses that one
-- instead: apply one or the other). It shares the analyst's role and settings profile, so apply
-- deploy/clickhouse/grants/analyst.sql first.
--
--   sed -e 's/{{db}}/cs/g' -e "s/{{grafana_password}}/$CS_GRAFANA_PASSWORD/g" \
--       deploy/clickhouse/grants/grafana.sql | clickhouse-client --user admin --multiquery
--
-- Its own user (not the analyst's) so its password can change without touching people's logins, and
-- its access can be told apart in system.query_log. test/integration/grants.test.ts checks it.

CREATE USER IF NOT EXISTS grafana
  IDENTIFIED WITH sha256_password BY '{{grafana_password}}'
  HOST ANY
  DEFAULT DATABASE {{db}}
  SETTINGS readonly = 2;

GRANT cs_analyst TO grafana;

ALTER USER grafana DEFAULT ROLE cs_analyst;
