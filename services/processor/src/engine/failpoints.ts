/**
 * Failpoints for the fault suite (npm run test:faults): PROCESSOR_FAILPOINT=<point>:<topic>:<seq>
 * SIGKILLs the process when flush <seq> of a partition of <topic> (the topic name without prefix)
 * reaches <point>, so a test can crash it inside each window of a flush:
 *   after-intent   the intent row is written, no insert yet
 *   mid-insert     one table's insert acknowledged, the others under way or not started
 *   before-commit  every insert and the done row acknowledged, the Kafka offset not committed
 * Unset (production), failpoint() is a comparison of one variable.
 */
export type FailPoint = 'after-intent' | 'mid-insert' | 'before-commit';

const spec = (() => {
  const text = process.env.PROCESSOR_FAILPOINT?.trim();
  if (!text) return null;
  const [point, topic, seq] = text.split(':');
  if (!['after-intent', 'mid-insert', 'before-commit'].includes(point!) || !topic || !Number.isInteger(Number(seq))) {
    throw new Error(`PROCESSOR_FAILPOINT must be <after-intent|mid-insert|before-commit>:<topic>:<flush seq>, got "${text}"`);
  }
  return { point: point as FailPoint, topic, seq: Number(seq) };
})();

export function failpoint(point: FailPoint, kafkaTopic: string, seq: number): void {
  if (spec === null || spec.point !== point || spec.seq !== seq || !kafkaTopic.endsWith(spec.topic)) return;
  process.stderr.write(`failpoint ${point} at ${kafkaTopic} flush ${seq}: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
