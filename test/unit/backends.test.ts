// The integration suite's backend choice (test/support/backends.ts), with injected Docker probes.
import { describe, expect, it } from 'vitest';
import { BackendChoiceError, chooseBackends, CLICKHOUSE_IMAGE, KAFKA_IMAGE, needsDockerProbe, probeDocker, type DockerProbe } from '../support/backends.ts';

const docker: DockerProbe = { available: true, detail: 'unix:///var/run/docker.sock, Ubuntu 24.04 27' };
const noDocker: DockerProbe = { available: false, detail: 'Could not find a working container runtime strategy' };

describe('chooseBackends', () => {
  it('uses containers for Kafka and ClickHouse when a Docker engine answers', () => {
    const choice = chooseBackends({}, docker);
    expect(choice.kafka).toEqual({ kind: 'container', image: KAFKA_IMAGE });
    expect(choice.clickhouse).toEqual({ kind: 'container', image: CLICKHOUSE_IMAGE });
    expect(choice.summary).toBe(
      `[backends] Docker engine: ${docker.detail} → Kafka in a container (${KAFKA_IMAGE}); ClickHouse servers in containers (${CLICKHOUSE_IMAGE}, one per test store)`,
    );
  });

  it('falls back to the local broker and the embedded engine without one, and says why', () => {
    const choice = chooseBackends({}, noDocker);
    expect(choice.kafka).toEqual({ kind: 'local' });
    expect(choice.clickhouse).toEqual({ kind: 'embedded' });
    expect(choice.summary).toBe(`[backends] no Docker engine (${noDocker.detail}) → the local Kafka broker (deploy/kafka/kafka.sh); the embedded ClickHouse engine (chdb)`);
  });

  it('takes Kafka from KAFKA_BROKERS whatever the engine', () => {
    for (const probe of [docker, noDocker]) {
      const choice = chooseBackends({ KAFKA_BROKERS: ' b1:9092, b2:9092 ,' }, probe);
      expect(choice.kafka).toEqual({ kind: 'env', brokers: ['b1:9092', 'b2:9092'] });
      expect(choice.clickhouse.kind).toBe(probe.available ? 'container' : 'embedded');
      expect(choice.summary).toContain('Kafka from KAFKA_BROKERS (b1:9092,b2:9092)');
    }
  });

  it('CS_TEST_CONTAINERS=off keeps the local backends even with Docker, and needs no probe', () => {
    expect(needsDockerProbe({ CS_TEST_CONTAINERS: 'off' })).toBe(false);
    expect(needsDockerProbe({})).toBe(true);
    const choice = chooseBackends({ CS_TEST_CONTAINERS: 'OFF' }, docker);
    expect(choice.kafka.kind).toBe('local');
    expect(choice.clickhouse.kind).toBe('embedded');
    expect(choice.summary).toMatch(/^\[backends\] CS_TEST_CONTAINERS=off → /);
  });

  it('CS_TEST_CONTAINERS=on fails without a Docker engine instead of testing something else', () => {
    expect(() => chooseBackends({ CS_TEST_CONTAINERS: 'on' }, noDocker)).toThrow(BackendChoiceError);
    expect(() => chooseBackends({ CS_TEST_CONTAINERS: 'on' }, noDocker)).toThrow(/no Docker engine answers \(Could not find/);
    expect(chooseBackends({ CS_TEST_CONTAINERS: 'on' }, docker).clickhouse.kind).toBe('container');
  });

  it('CS_TEST_CLICKHOUSE=served serves each store over HTTP, with or without Docker', () => {
    for (const probe of [docker, noDocker]) {
      const choice = chooseBackends({ CS_TEST_CLICKHOUSE: 'served' }, probe);
      expect(choice.clickhouse).toEqual({ kind: 'served' });
      expect(choice.summary).toContain('the embedded ClickHouse engine served over HTTP (npm run store, one per test store)');
    }
    expect(() => chooseBackends({ CS_TEST_CLICKHOUSE: 'server' }, noDocker)).toThrow(/CS_TEST_CLICKHOUSE must be served or unset/);
  });

  it('refuses an unknown CS_TEST_CONTAINERS and takes image overrides', () => {
    expect(() => chooseBackends({ CS_TEST_CONTAINERS: 'maybe' }, docker)).toThrow(/CS_TEST_CONTAINERS must be auto, on or off, got "maybe"/);
    const choice = chooseBackends({ CS_TEST_KAFKA_IMAGE: 'confluentinc/cp-kafka:8.1.0', CS_TEST_CLICKHOUSE_IMAGE: 'clickhouse/clickhouse-server:25.9' }, docker);
    expect(choice.kafka).toEqual({ kind: 'container', image: 'confluentinc/cp-kafka:8.1.0' });
    expect(choice.clickhouse).toEqual({ kind: 'container', image: 'clickhouse/clickhouse-server:25.9' });
  });
});

describe('probeDocker', () => {
  it('reports the runtime testcontainers finds, or why there is none', async () => {
    const probe = await probeDocker();
    expect(typeof probe.available).toBe('boolean');
    expect(probe.detail.length).toBeGreaterThan(0);
    // On a machine without an engine (this one), testcontainers' own message comes through.
    if (!probe.available) expect(probe.detail).toMatch(/container runtime|no answer within/);
  }, 30_000);
});
