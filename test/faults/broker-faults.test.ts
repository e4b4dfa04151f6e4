/**
 * Fault scenario (docs/reliability.md): the broker SIGTERMed and later SIGKILLed mid-stream, each
 * time restarted after BROKER_DOWN_MS, while three producer paths send the fault event set in
 * chunks of CHUNK events, one chunk every PACE_MS per path:
 *   - the producer SDK (createEventProducer): a chunk is acknowledged when send() resolved;
 *   - the ingest API (services/ingest as a process): when POST /v1/events answered 2xx;
 *   - replay (`npm run replay` per file of REPLAY_CHUNKS chunks): when it exited 0.
 * Partition p of every topic gets its events from path p only. The broker runs from its own
 * KAFKA_STACK_DIR on its own ports. Afterwards every acknowledged
 * event is in Kafka, and the processor, run over what Kafka holds, converges to the reference.
 *
 * Negative control (same run): a careless client that counts an event as sent when it hands it to
 * the SDK (never awaiting the acknowledgement) and exits while the broker is down: the same check
 * must find its events missing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { createAdmin, type KafkaOptions } from '@cs/kafka';
import { createEventProducer } from '@cs/producer';
import { ensureEventTopics } from '@cs/processor';
import { messageKey, type Topic } from '@cs/schemas';
import { TZ } from '../correctness/event-set.ts';
import { ChildProcessor, childProcessorEnv, freePort, sqlRows, startChild, type Child } from '../support/child.ts';
import { uniquePrefix, waitFor } from '../support/pipeline.ts';
import { replayEvents } from './support/fleet.ts';
import { OwnBroker } from './support/own-broker.ts';
import { delivered, describe as explain, exact, faultEventSet, oracle, type Reader, type TopicEvent } from './support/oracle.ts';
import { converged, record } from './support/run.ts';

const CHUNK = 20;
const PACE_MS = 250;
const REPLAY_CHUNKS = 4;
/** How long the broker stays down after each kill before it is restarted. */
const BROKER_DOWN_MS = 5_000;

type Path = 'sdk' | 'ingest' | 'replay';
const PATHS: Path[] = ['sdk', 'ingest', 'replay'];

interface PathRun {
  /** Event ids of the chunks acknowledged. */
  acked: string[];
  sent: number;
  /** Chunks not acknowledged (an error or a non-2xx answer): what they got. */
  failures: string[];
}

/** The partition (of 3) an event goes to: the producers' Java-compatible murmur2 of its key. */
const javaPartitioner = Partitioners.JavaCompatiblePartitioner();
const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
const partitionOf = (e: TopicEvent) =>
  javaPartitioner({ topic: e.topic, partitionMetadata, message: { key: messageKey(e.topic as Topic, e.event as never), value: null } });

const newRun = (): PathRun => ({ acked: [], sent: 0, failures: [] });
const ids = (chunk: TopicEvent[]) => chunk.map((e) => String((e.event as { event_id: string }).event_id));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function viaSdk(chunks: TopicEvent[][], prefix: string, kafka: KafkaOptions, run: PathRun): Promise<void> {
  const sdk = await createEventProducer({ kafka, topicPrefix: prefix, pseudonymize: false });
  try {
    for (const chunk of chunks) {
      run.sent += chunk.length;
      await sdk.send(chunk).then(
        () => run.acked.push(...ids(chunk)),
        (err: Error) => run.failures.push(err.message),
      );
      await sleep(PACE_MS);
    }
  } finally {
    await sdk.close();
  }
}

async function viaIngest(chunks: TopicEvent[][], port: number, run: PathRun): Promise<void> {
  for (const chunk of chunks) {
    run.sent += chunk.length;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chunk.map((e) => ({ topic: e.topic, ...e.event }))) });
      if (res.ok) run.acked.push(...ids(chunk));
      else run.failures.push(`${res.status} ${(await res.text()).slice(0, 200)}`);
    } catch (err) {
      run.failures.push((err as Error).message);
    }
    await sleep(PACE_MS);
  }
}

async function viaReplay(chunks: TopicEvent[][], prefix: string, broker: string, dir: string, run: PathRun): Promise<void> {
  for (let i = 0; i < chunks.length; i += REPLAY_CHUNKS) {
    const events = chunks.slice(i, i + REPLAY_CHUNKS).flat();
    run.sent += events.length;
    const result = await replayEvents(events, join(dir, `replay-${i}.jsonl`), { KAFKA_BROKERS: broker, CS_TOPIC_PREFIX: prefix });
    if (result.code === 0) run.acked.push(...ids(events));
    else run.failures.push(`exit ${result.code}: ${result.output.slice(-200)}`);
  }
}

/** `read` retried while the restarted broker's group coordinator is not ready yet (its errors are retriable). */
async function retried<T>(what: string, read: () => Promise<T>): Promise<T> {
  let value: T | undefined;
  let last: unknown;
  await waitFor(what, async () => {
    try {
      value = await read();
      return true;
    } catch (err) {
      last = err;
      return false;
    }
  }, 120_000, 2000).catch((err: Error) => {
    throw new Error(`${err.message}: ${(last as Error | undefined)?.message}`);
  });
  return value!;
}

/** Event ids counted as acknowledged that Kafka does not hold. */
function missing(acked: string[], held: Set<string>): string[] {
  return acked.filter((id) => !held.has(id));
}

/** The event ids on the event topics of `prefix`. */
async function heldIds(prefix: string, kafka: KafkaOptions): Promise<Set<string>> {
  const input = await delivered(prefix, { kafka });
  return new Set(input.events.map((e) => String((e.event as { event_id: string }).event_id)));
}

/** The event topics of `prefix`, retried while a freshly started broker is not yet serving metadata. */
async function createEventTopics(prefix: string, kafka: KafkaOptions): Promise<void> {
  await waitFor(`the event topics of ${prefix}`, async () => {
    const admin = createAdmin(kafka);
    try {
      await admin.connect();
      await ensureEventTopics(admin, 3, prefix);
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }, 60_000, 1000);
}

describe('broker SIGTERM and SIGKILL mid-stream', () => {
  it('no acknowledged event lost (SDK, ingest API, replay); figures exact; control: unacknowledged sends counted → caught', async () => {
    const started = Date.now();
    const broker = await OwnBroker.start('faults');
    const kafka = broker.kafka('fault-broker');
    const prefix = uniquePrefix('broker');
    const ctlPrefix = uniquePrefix('broker-ctl');
    const dir = mkdtempSync(join(tmpdir(), 'cs-fault-broker-'));
    const runs: Record<Path, PathRun> = { sdk: newRun(), ingest: newRun(), replay: newRun() };
    const careless = newRun();
    const steps: string[] = [];
    let ingest: Child | undefined;
    // An idle pipeline re-flushes every partition each CS_IDLE_FLUSH (its stream time follows the
    // wall clock, so the day it waits to settle is always today): 30 s leaves converged() quiet spells.
    const processor = new ChildProcessor(childProcessorEnv(prefix, TZ, dir, { CS_IDLE_FLUSH: '30s' }));
    try {
      await createEventTopics(prefix, kafka);
      await createEventTopics(ctlPrefix, kafka);
      const ingestPort = await freePort();
      ingest = startChild('services/ingest/src/main.ts', { KAFKA_BROKERS: broker.address, INGEST_PORT: String(ingestPort), CS_TOPIC_PREFIX: prefix, INGEST_RATE_LIMIT: '0', CS_INGEST_API_KEYS: '', CS_INGEST_API_KEYS_FILE: '' });
      await waitFor('the ingest API', async () => (await fetch(`http://127.0.0.1:${ingestPort}/healthz`).catch(() => null))?.ok === true, 60_000);

      // Partition p of every topic is fed by path p only, so each partition gets its events in the
      // event set's order (paths going at different speeds add no disorder the set does not have).
      const events = faultEventSet();
      const chunks: Record<Path, TopicEvent[][]> = { sdk: [], ingest: [], replay: [] };
      for (const p of PATHS) {
        const own = events.filter((e) => PATHS[partitionOf(e)] === p);
        for (let i = 0; i < own.length; i += CHUNK) chunks[p].push(own.slice(i, i + CHUNK));
      }
      const producing = Promise.all([
        viaSdk(chunks.sdk, prefix, kafka, runs.sdk),
        viaIngest(chunks.ingest, ingestPort, runs.ingest),
        viaReplay(chunks.replay, prefix, broker.address, dir, runs.replay),
      ]);
      const progress = (more: number) => {
        const at = PATHS.map((p) => runs[p].acked.length + more);
        return waitFor(`every path to be acknowledged ${more} more events`, async () => PATHS.every((p, i) => runs[p].acked.length >= at[i]!), 180_000, 100);
      };

      await progress(CHUNK);
      // The careless client connects while the broker is up…
      const carelessSdk = await createEventProducer({ kafka: broker.kafka('fault-careless'), topicPrefix: ctlPrefix, pseudonymize: false });
      await broker.kill('SIGTERM');
      steps.push(`SIGTERM at ${PATHS.map((p) => `${p} ${runs[p].acked.length}`).join(', ')} acknowledged`);
      // …counts events as sent while the broker is down, and exits before they were acknowledged.
      for (let i = 0; i < 3 * CHUNK; i += CHUNK) {
        const chunk = events.slice(i, i + CHUNK);
        careless.sent += chunk.length;
        careless.acked.push(...ids(chunk));
        void carelessSdk.send(chunk).catch((err: Error) => careless.failures.push(err.message));
      }
      await Promise.race([carelessSdk.close().catch(() => undefined), sleep(10_000)]);
      await sleep(BROKER_DOWN_MS);
      await broker.restart();
      await progress(2 * CHUNK);
      await broker.kill('SIGKILL');
      steps.push(`SIGKILL at ${PATHS.map((p) => `${p} ${runs[p].acked.length}`).join(', ')} acknowledged`);
      await sleep(BROKER_DOWN_MS);
      await broker.restart();
      await producing;
      steps.push(`done: ${PATHS.map((p) => `${p} ${runs[p].acked.length}/${runs[p].sent} acknowledged, ${runs[p].failures.length} chunk(s) failed`).join('; ')}`);

      const held = await retried('the events Kafka holds', () => heldIds(prefix, kafka));
      const lost = Object.fromEntries(PATHS.map((p) => [p, missing(runs[p].acked, held)]));
      const carelessLost = missing(careless.acked, await retried('the control events Kafka holds', () => heldIds(ctlPrefix, kafka)));

      // The processor over what Kafka holds.
      const expected = await retried('the reference', () => oracle(prefix, { kafka }));
      const url = await processor.start({ KAFKA_BROKERS: broker.address });
      const read: Reader = (sql) => sqlRows(url, sql);
      const verdict = await converged(expected, read, prefix, { kafka, groupId: `${prefix}processor` });
      await processor.stop();

      const figures = PATHS.map((p) => ({ path: p, sent: runs[p].sent, acknowledged: runs[p].acked.length, lost: lost[p]!.length, failedChunks: runs[p].failures.length }));
      const passed = PATHS.every((p) => lost[p]!.length === 0) && exact(verdict);
      record({ scenario: 'broker SIGTERM + SIGKILL mid-stream: SDK, ingest API, replay', kind: 'scenario', passed, verdict, details: { steps, figures, held: held.size, seconds: Math.round((Date.now() - started) / 1000), failures: PATHS.flatMap((p) => runs[p].failures.slice(0, 2)) } });
      record({ scenario: 'broker faults control: unacknowledged sends counted', kind: 'control', passed: carelessLost.length > 0, details: { counted: careless.acked.length, lost: carelessLost.length } });
      for (const p of PATHS) {
        expect(runs[p].acked.length, `${p}: acknowledged events`).toBeGreaterThan(0);
        expect(lost[p], `${p}: acknowledged events missing from Kafka`).toEqual([]);
      }
      expect(carelessLost.length, 'the check must catch events counted without an acknowledgement').toBeGreaterThan(0);
      expect(exact(verdict), explain(verdict)).toBe(true);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n(${steps.join('; ')})\n--- ingest ---\n${ingest?.output().slice(-2000)}\n--- processor ---\n${processor.child?.output().slice(-8000)}`);
    } finally {
      ingest?.proc.kill('SIGKILL');
      await processor.kill();
      await broker.remove();
    }
  });
});
