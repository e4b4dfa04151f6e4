/**
 * TEST-ONLY switches for the fault suite (npm run test:faults, docs/reliability.md). Both are off
 * unless their environment variable is set; production never sets them.
 *
 * PROCESSOR_FAILPOINT=<point>:<topic>:<seq>[:<table>] SIGKILLs the process when flush <seq> of a
 * partition of <topic> (the topic name without prefix) reaches <point>, so a test can crash it inside
 * each window of a flush; `*` for <topic> or <seq> matches any (the first flush to get there):
 *   after-intent   the intent row is written, no insert yet
 *   mid-insert     one table's insert acknowledged (<table>'s when given, else the first to finish),
 *                  the others under way or not started
 *   before-commit  every insert and the done row acknowledged, the Kafka offset not committed; the
 *                  kill waits (at most 10 s) until the next flush, stepped behind it, has its inserts
 *                  acknowledged too, so that the restart always has landed rows to redo
 *
 * PROCESSOR_FAULT_DEFECT=<defect>[,<defect>…] turns on a deliberate defect, so a fault test can show
 * that its check fails when the protection it relies on is missing (its negative control):
 *   no-dedup          each insert gets a new deduplication token (derived from the clock, not from
 *                     the flush) and a redo does not consult flush_ledger: a redo adds again what had
 *                     landed before the crash
 *   no-ledger         a redo does not consult flush_ledger (the tokens stay): a redo later than the
 *                     tables' deduplication window adds the metric sums again (with an exclusive
 *                     store, only if no-markers is on too)
 *   no-markers        a redo does not consult its flush markers (exclusive store, flush-markers.ts)
 *   commit-at-intent  the Kafka offset is committed as soon as the intent is written, before
 *                     ClickHouse acknowledged the flush: a crash loses it
 *   drop-empty        a message without a value is dropped instead of dead-lettered
 * Unset (production), each check is a comparison of one variable.
 */
export type FailPoint = 'after-intent' | 'mid-insert' | 'before-commit';
export type Defect = 'no-dedup' | 'no-ledger' | 'no-markers' | 'commit-at-intent' | 'drop-empty';

const POINTS: readonly FailPoint[] = ['after-intent', 'mid-insert', 'before-commit'];
const DEFECTS: readonly Defect[] = ['no-dedup', 'no-ledger', 'no-markers', 'commit-at-intent', 'drop-empty'];

const spec = (() => {
  const text = process.env.PROCESSOR_FAILPOINT?.trim();
  if (!text) return null;
  const [point, topic, seq, table, ...rest] = text.split(':');
  if (!POINTS.includes(point as FailPoint) || !topic || !(seq === '*' || Number.isInteger(Number(seq))) || (table !== undefined && point !== 'mid-insert') || rest.length) {
    throw new Error(`PROCESSOR_FAILPOINT must be <after-intent|mid-insert|before-commit>:<topic|*>:<flush seq|*>[:<table>, mid-insert only], got "${text}"`);
  }
  return { point: point as FailPoint, topic, seq: seq === '*' ? null : Number(seq), table: table || null };
})();

const defects = (() => {
  const names = (process.env.PROCESSOR_FAULT_DEFECT ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  for (const name of names) if (!DEFECTS.includes(name as Defect)) throw new Error(`PROCESSOR_FAULT_DEFECT: unknown defect "${name}"; expected ${DEFECTS.join(', ')}`);
  if (names.length) process.stderr.write(`TEST-ONLY defect enabled (PROCESSOR_FAULT_DEFECT): ${names.join(', ')}\n`);
  return new Set(names as Defect[]);
})();

/**
 * SIGKILLs the process if the failpoint is set for this point, topic and flush. `table`: for
 * mid-insert, the table whose insert was just acknowledged, and whether it was the first to be.
 */
export function failpoint(point: FailPoint, kafkaTopic: string, seq: number, insert?: { table: string; first: boolean }): void {
  if (spec === null || !failpointDue(point, kafkaTopic, seq)) return;
  if (insert && (spec.table === null ? !insert.first : spec.table !== insert.table)) return;
  process.stderr.write(`failpoint ${point} at ${kafkaTopic} flush ${seq}${insert ? ` after ${insert.table}` : ''}: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}

/** True when the failpoint is set for this point, topic and flush (its caller may prepare the kill). */
export function failpointDue(point: FailPoint, kafkaTopic: string, seq: number): boolean {
  return spec !== null && spec.point === point && (spec.seq === null || spec.seq === seq) && (spec.topic === '*' || kafkaTopic.endsWith(spec.topic));
}

/** True when the test-only defect is on (never in production). */
export function defect(name: Defect): boolean {
  return defects.size > 0 && defects.has(name);
}
