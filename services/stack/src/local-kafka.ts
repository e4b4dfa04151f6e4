import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../deploy/kafka/kafka.sh', import.meta.url));

/** Runs deploy/kafka/kafka.sh <command> (fetches jars once, starts the KRaft broker, waits until ready). */
export function localKafka(command: 'start' | 'stop' | 'status', quiet = false): boolean {
  const result = spawnSync('bash', [SCRIPT, command], { stdio: quiet ? 'ignore' : 'inherit' });
  return result.status === 0;
}
