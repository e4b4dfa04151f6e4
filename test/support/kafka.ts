/**
 * A real Kafka broker for integration tests, from the backend chosen in backends.ts:
 *
 * 1. `env`: the cluster in `KAFKA_BROKERS`; nothing is started.
 * 2. `container`: a Kafka container (`@testcontainers/kafka`), stopped after the run.
 * 3. `local`: the repo's local KRaft broker, `deploy/kafka/kafka.sh start` (idempotent: reuses a
 *    running broker, fetches jars and formats storage on first use) → 127.0.0.1:${KAFKA_PORT:-9092}.
 *    It is started with its SCRAM listeners too (SASL_SSL on KAFKA_SASL_SSL_PORT, default
 *    KAFKA_PORT + 2; SASL_PLAINTEXT on KAFKA_SASL_PLAINTEXT_PORT, default KAFKA_PORT + 3) for the
 *    Kafka security tests, and left running after the tests (other suites and developers share it).
 *
 * Never skips: if no broker can be had, the start rejects with the script's output.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaBackend } from './backends.ts';

/** The local broker's SCRAM listeners (host:port) and the CA that signed its TLS certificate. */
export interface SecureListeners {
  saslSsl: string;
  saslPlaintext: string;
  caFile: string;
}

export interface KafkaForTests {
  brokers: string[];
  source: KafkaBackend['kind'];
  /** The local broker's SCRAM listeners; null for other backends. */
  secure: SecureListeners | null;
  /** Stops what this run started (the container); the local broker stays up. */
  stop(): Promise<void>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = resolve(repoRoot, 'deploy/kafka/kafka.sh');

function run(cmd: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      done({ ok: !err, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** The local broker's ports: KAFKA_PORT (9092), and the SCRAM listeners next to it unless set. */
export function localKafkaPorts(env: Record<string, string | undefined> = process.env): { plaintext: number; saslSsl: number; saslPlaintext: number } {
  const plaintext = Number(env.KAFKA_PORT || 9092);
  return {
    plaintext,
    saslSsl: Number(env.KAFKA_SASL_SSL_PORT || plaintext + 2),
    saslPlaintext: Number(env.KAFKA_SASL_PLAINTEXT_PORT || plaintext + 3),
  };
}

/** Starts (or reuses) the local broker with its SCRAM listeners. */
export async function startLocalKafka(): Promise<{ brokers: string[]; secure: SecureListeners }> {
  const ports = localKafkaPorts();
  // First start may download ~43 MB of jars with Maven; later starts take a few seconds.
  const res = await run('bash', [script, 'start'], 240_000, {
    KAFKA_PORT: String(ports.plaintext),
    KAFKA_SASL_SSL_PORT: String(ports.saslSsl),
    KAFKA_SASL_PLAINTEXT_PORT: String(ports.saslPlaintext),
  });
  if (!res.ok) throw new Error(`could not start the local Kafka broker (deploy/kafka/kafka.sh start):\n${res.output}`);
  return {
    brokers: [`127.0.0.1:${ports.plaintext}`],
    secure: { saslSsl: `127.0.0.1:${ports.saslSsl}`, saslPlaintext: `127.0.0.1:${ports.saslPlaintext}`, caFile: resolve(repoRoot, '.stack/kafka/tls/ca.pem') },
  };
}

/** SCRAM-SHA-256 and -512 credentials on the local broker (kafka.sh scram-user). */
export async function createScramUser(name: string, password: string): Promise<void> {
  const res = await run('bash', [script, 'scram-user', name], 120_000, { KAFKA_PORT: String(localKafkaPorts().plaintext), KAFKA_SCRAM_PASSWORD: password });
  if (!res.ok) throw new Error(`kafka.sh scram-user ${name} failed:\n${res.output}`);
}

export async function startKafka(backend: KafkaBackend): Promise<KafkaForTests> {
  const nothing = async () => {};
  if (backend.kind === 'env') return { brokers: backend.brokers, source: 'env', secure: null, stop: nothing };
  if (backend.kind === 'local') return { ...(await startLocalKafka()), source: 'local', stop: nothing };
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(backend.image).withKraft().start();
  return {
    brokers: [`${container.getHost()}:${container.getMappedPort(9093)}`],
    source: 'container',
    secure: null,
    stop: async () => void (await container.stop()),
  };
}
