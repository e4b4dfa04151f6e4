/**
 * Which Kafka and which ClickHouse the integration suite runs against, decided once per run.
 *
 * - Kafka: `KAFKA_BROKERS` set → that cluster. Otherwise, with a Docker engine, a Kafka container
 *   (`@testcontainers/kafka`); without one, the repo's local KRaft broker (deploy/kafka/kafka.sh).
 * - ClickHouse: with a Docker engine, a real ClickHouse server in a container
 *   (`@testcontainers/clickhouse`), a fresh one for each test store; without one, the embedded
 *   engine (chdb) in a temp directory, as the pipeline's zero-setup default.
 * - `CS_TEST_CONTAINERS`: `auto` (default) as above; `off` never uses Docker; `on` requires it (a
 *   run on a machine without a Docker engine then fails instead of quietly testing something else).
 * - `CS_TEST_CLICKHOUSE=served`: each test store is the embedded engine served by its own process
 *   (`npm run store`) and reached over HTTP, as a server: the server code path without Docker.
 *
 * The choice is a pure function of the environment and a probe of the Docker engine, so it is
 * unit-tested with injected probes (test/unit/backends.test.ts); global-setup.ts logs it.
 */

type Env = Record<string, string | undefined>;

/** Pinned like the compose images (docker-compose.yml uses clickhouse-server:25.8). */
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8';
/** @testcontainers/kafka drives Confluent's image; 8.0 is Apache Kafka 4.0 in KRaft mode. */
export const KAFKA_IMAGE = 'confluentinc/cp-kafka:8.0.0';

export interface DockerProbe {
  available: boolean;
  /** The runtime found, or why none was. */
  detail: string;
}

export type KafkaBackend = { kind: 'env'; brokers: string[] } | { kind: 'container'; image: string } | { kind: 'local' };
export type ClickHouseBackend = { kind: 'container'; image: string } | { kind: 'served' } | { kind: 'embedded' };

export interface BackendChoice {
  kafka: KafkaBackend;
  clickhouse: ClickHouseBackend;
  /** One line for the test log: what was chosen and why. */
  summary: string;
}

export class BackendChoiceError extends Error {}

const MODES = ['auto', 'on', 'off'] as const;
type Mode = (typeof MODES)[number];

function mode(env: Env): Mode {
  const raw = (env.CS_TEST_CONTAINERS ?? '').trim().toLowerCase() || 'auto';
  if (!(MODES as readonly string[]).includes(raw)) throw new BackendChoiceError(`CS_TEST_CONTAINERS must be auto, on or off, got "${env.CS_TEST_CONTAINERS}"`);
  return raw as Mode;
}

/** Whether the Docker engine needs probing at all (not with CS_TEST_CONTAINERS=off). */
export function needsDockerProbe(env: Env): boolean {
  return mode(env) !== 'off';
}

export function chooseBackends(env: Env, docker: DockerProbe): BackendChoice {
  const m = mode(env);
  if (m === 'on' && !docker.available) {
    throw new BackendChoiceError(`CS_TEST_CONTAINERS=on but no Docker engine answers (${docker.detail})`);
  }
  const containers = m !== 'off' && docker.available;
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const kafka: KafkaBackend = brokers.length > 0 ? { kind: 'env', brokers } : containers ? { kind: 'container', image: env.CS_TEST_KAFKA_IMAGE || KAFKA_IMAGE } : { kind: 'local' };
  const served = (env.CS_TEST_CLICKHOUSE ?? '').trim().toLowerCase();
  if (served !== '' && served !== 'served') throw new BackendChoiceError(`CS_TEST_CLICKHOUSE must be served or unset, got "${env.CS_TEST_CLICKHOUSE}"`);
  const clickhouse: ClickHouseBackend = served ? { kind: 'served' } : containers ? { kind: 'container', image: env.CS_TEST_CLICKHOUSE_IMAGE || CLICKHOUSE_IMAGE } : { kind: 'embedded' };

  const why = m === 'off' ? 'CS_TEST_CONTAINERS=off' : docker.available ? `Docker engine: ${docker.detail}` : `no Docker engine (${docker.detail})`;
  const kafkaText =
    kafka.kind === 'env' ? `Kafka from KAFKA_BROKERS (${kafka.brokers.join(',')})` : kafka.kind === 'container' ? `Kafka in a container (${kafka.image})` : 'the local Kafka broker (deploy/kafka/kafka.sh)';
  const chText =
    clickhouse.kind === 'container'
      ? `ClickHouse servers in containers (${clickhouse.image}, one per test store)`
      : clickhouse.kind === 'served'
        ? 'the embedded ClickHouse engine served over HTTP (npm run store, one per test store)'
        : 'the embedded ClickHouse engine (chdb)';
  return { kafka, clickhouse, summary: `[backends] ${why} → ${kafkaText}; ${chText}` };
}

/** Asks testcontainers for a container runtime, as it would before starting a container. */
export async function probeDocker(timeoutMs = 20_000): Promise<DockerProbe> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const client = await Promise.race([getContainerRuntimeClient(), timeout]);
    const info = client.info.containerRuntime;
    return { available: true, detail: `${info.host}, ${info.operatingSystem} ${info.serverVersion}` };
  } catch (err) {
    return { available: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
