/**
 * Where a processor instance keeps its local state: `<CS_STATE_DIR>/<group>/slot-<n>`. An instance
 * takes the first slot no live process (or other instance of this process) holds, so a restarted
 * instance finds its own state again, and two instances on one machine never share one.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const held = new Set<string>();

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface StateSlot {
  dir: string;
  release(): void;
}

export function claimStateSlot(baseDir: string, groupId: string): StateSlot {
  const groupDir = join(baseDir, groupId.replace(/[^A-Za-z0-9._-]/g, '_'));
  for (let n = 0; ; n++) {
    const dir = join(groupDir, `slot-${n}`);
    if (held.has(dir)) continue;
    const owner = join(dir, 'owner.pid');
    if (existsSync(owner)) {
      const pid = Number(readFileSync(owner, 'utf8').trim());
      if (pid !== process.pid && Number.isInteger(pid) && pid > 0 && pidAlive(pid)) continue;
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(owner, String(process.pid));
    held.add(dir);
    return {
      dir,
      release: () => {
        held.delete(dir);
        rmSync(owner, { force: true });
      },
    };
  }
}
