/**
 * A real Kafka broker for integration tests.
 *
 * 1. `KAFKA_BROKERS` set → that cluster (comma-separated host:port), nothing is started.
 * 2. Otherwise the repo's local KRaft broker: `deploy/kafka/kafka.sh start` (idempotent: reuses a
 *    running broker, fetches jars and formats storage on first use) → 127.0.0.1:${KAFKA_PORT:-9092}.
 *
 * A container path (testcontainers) is deliberately not used: the package is not a dependency of
 * this repo, so even with a reachable Docker engine the local broker is used (and said so). The
 * broker is left running after the tests (other suites and developers share it).
 *
 * Never skips: if no broker can be had, `ensureKafka()` rejects with the script's output.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KafkaForTests {
  brokers: string[];
  /** Where the brokers came from. */
  source: 'env' | 'local';
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = resolve(repoRoot, 'deploy/kafka/kafka.sh');

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ ok: !err, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** True when a Docker engine answers (`docker info`); false when the CLI is missing or the engine is down. */
export async function dockerAvailable(): Promise<boolean> {
  return (await run('docker', ['info', '--format', '{{.ServerVersion}}'], 10_000)).ok;
}

let pending: Promise<KafkaForTests> | undefined;

export function ensureKafka(): Promise<KafkaForTests> {
  pending ??= start();
  return pending;
}

async function start(): Promise<KafkaForTests> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    return { brokers: fromEnv.split(',').map((b) => b.trim()).filter(Boolean), source: 'env' };
  }
  if (await dockerAvailable()) {
    console.info('[kafka] Docker is available, but testcontainers is not a dependency here; using the local broker');
  }
  // First start may download ~43 MB of jars with Maven; later starts take a few seconds.
  const res = await run('bash', [script, 'start'], 240_000);
  if (!res.ok) {
    throw new Error(`could not start the local Kafka broker (deploy/kafka/kafka.sh start):\n${res.output}`);
  }
  const port = process.env.KAFKA_PORT ?? '9092';
  return { brokers: [`127.0.0.1:${port}`], source: 'local' };
}
