/**
 * Server mode under test: several processor processes share one store through ClickHouse's HTTP
 * interface (CLICKHOUSE_URL), as they would share a ClickHouse server. No server can be installed
 * here, so the store is the embedded engine served by its own process (`npm run store`) with a
 * password-protected `writer` user; the services reach it through their ordinary configuration.
 *
 * The compose flow, on the correctness event set: the migrations one-shot (deploy/docker/migrate.ts)
 * prepares the store, three processors join one consumer group and split the partitions (each
 * processes events), one is SIGKILLed mid-stream and the others take its partitions over from the
 * shared store; every metric at hour and day grain then equals the independent reference calculator,
 * and each process stops cleanly.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { expect, inject, it } from 'vitest';
import { actualRows } from '../correctness/compare.ts';
import { buildEventSet, TZ } from '../correctness/event-set.ts';
import { COMPARED_GRAINS, expectConverges, produce, reference } from '../correctness/run.ts';
import { freePort, startChild, stopChild, type Child } from '../support/child.ts';
import { createTopics, processorEnv, uniquePrefix, waitFor } from '../support/pipeline.ts';
import { startServedStore } from '../support/served-store.ts';

/** Events a processor counted, from its Prometheus /metrics. */
async function processedEvents(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^cs_processor_events_total\{[^}]*\} (\d+(?:\.\d+)?)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

it('three processor processes in one group share the served store through CLICKHOUSE_URL and equal the reference', { timeout: 420_000 }, async () => {
  const t0 = Date.now();
  const step = (what: string) => console.info(`[server-mode] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const events = buildEventSet();
  const prefix = uniquePrefix('server-mode');
  await createTopics(prefix, 3);
  const dir = mkdtempSync(join(tmpdir(), 'cs-server-mode-'));
  const children: Child[] = [];
  const store = await startServedStore(dir);
  children.push(store.child);
  try {
    step('store up');
    const { url, server } = store;

    const migrate = startChild('deploy/docker/migrate.ts', { ...server, CS_TIMEZONE: TZ });
    children.push(migrate);
    expect(await migrate.exited, migrate.output()).toBe(0);

    step('migrated');
    const ports = [await freePort(), await freePort(), await freePort()];
    // Small flushes keep the stream flowing while one of the members fails.
    const env: Record<string, string> = {
      ...processorEnv(prefix, TZ, { PROCESSOR_FLUSH_MAX_MESSAGES: '300', CS_IDLE_FLUSH: '20s' }),
      ...server,
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      // One machine: the three processes take slots of one local state directory.
      CS_STATE_DIR: join(dir, 'state'),
    };
    const processors = ports.map((port) => startChild('services/processor/src/main.ts', { ...env, PROCESSOR_HTTP_PORT: String(port) }));
    children.push(...processors);
    // The group has settled when each member has been given partitions (@cs/kafka logs each assignment).
    const assigned = new RegExp(`"groupId":"${env.PROCESSOR_GROUP_ID!.replace(/\./g, '\\.')}","assignment":\\["`);
    await waitFor('three processors with partitions', async () => processors.every((p) => assigned.test(p.output())), 120_000);
    step('running');
    // Everything is produced at once: no pause in the input, so no partition goes idle (and closes
    // windows on the wall clock, SPEC §4) before the stream is through.
    await produce(prefix, events);
    // The group split the partitions: every member counts events.
    await waitFor('every processor to process events', async () => (await Promise.all(ports.map(processedEvents))).every((n) => n > 0), 90_000, 250);
    step(`all processing (${(await Promise.all(ports.map(processedEvents))).join(' + ')} of ${events.length} events)`);
    // One member crashes mid-stream; the others take its partitions over from the shared store.
    processors[0]!.proc.kill('SIGKILL');
    await processors[0]!.exited;
    step('killed one');
    const analyst = createClient({ url, log: { level: ClickHouseLogLevel.OFF } });
    try {
      const expected = await reference(prefix, events.length);
      await expectConverges(expected, () => actualRows(analyst, 'cs', [...COMPARED_GRAINS]));
    } finally {
      await analyst.close();
    }
    step('converged');
    for (const p of processors.slice(1)) await stopChild(p, 'a processor', { clean: true });
    await stopChild(store.child, 'the store', { clean: true });
    // The writer's password is in no process's output.
    for (const child of children) expect(child.output()).not.toContain(store.password);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${children.map((c, i) => `--- child ${i} ---\n${c.output().slice(-2500)}`).join('\n')}`);
  } finally {
    for (const child of children) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  }
});
