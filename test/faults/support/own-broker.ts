/**
 * A Kafka broker of a fault scenario's own (deploy/kafka/kafka.sh with KAFKA_STACK_DIR, on free
 * ports), so the scenario can SIGTERM and SIGKILL it without disturbing the suite's shared broker.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaOptions } from '@cs/kafka';
import { freePort } from '../../support/child.ts';
import { logger, waitFor } from '../../support/pipeline.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const script = join(root, 'deploy/kafka/kafka.sh');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export class OwnBroker {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly controllerPort: number,
  ) {}

  static async start(name: string): Promise<OwnBroker> {
    const broker = new OwnBroker(mkdtempSync(join(tmpdir(), `cs-broker-${name}-`)), await freePort(), await freePort());
    await broker.restart();
    return broker;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  kafka(clientId: string): KafkaOptions {
    return { brokers: [this.address], clientId, client: 'kafkajs', logger };
  }

  private run(command: string): Promise<string> {
    const env = { ...process.env, KAFKA_STACK_DIR: this.dir, KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.controllerPort), KAFKA_SASL_SSL_PORT: '', KAFKA_SASL_PLAINTEXT_PORT: '', KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m' };
    return new Promise((resolve, reject) =>
      execFile('bash', [script, command], { cwd: root, env, timeout: 240_000 }, (err, stdout, stderr) => (err ? reject(new Error(`kafka.sh ${command} failed:\n${stdout}${stderr}`)) : resolve(`${stdout}${stderr}`))),
    );
  }

  /** Starts it (again), waiting until it answers. */
  async restart(): Promise<void> {
    await this.run('start');
  }

  get pid(): number {
    return Number(readFileSync(join(this.dir, 'kafka.pid'), 'utf8').trim());
  }

  /** Sends `signal` to the broker and waits until it has exited. */
  async kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const pid = this.pid;
    process.kill(pid, signal);
    await waitFor(`the broker to exit on ${signal}`, async () => !alive(pid), 90_000, 100);
  }

  /** Stops it and deletes its data. */
  async remove(): Promise<void> {
    await this.run('stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
