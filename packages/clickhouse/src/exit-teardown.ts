// Closing the last connection to a data directory shuts the embedded engine's server down, and the
// process's exit handlers then tear the engine itself down. There, a background-schedule-pool task
// of a table could fault while the main thread waited on a lock that task held: the process hung
// after a clean shutdown (1 exit in 3 to 8 of a served store under CPU load; the same native stack at
// every hang, gdb, 2026-12-07). Detaching the store's databases just before the last connection
// closes shuts their tables' background tasks down while the engine is whole; with that, 0 hangs in
// 24 exits. The detach is not permanent: the next open of the store attaches them again.
import { resolve } from 'node:path';
import { Session } from 'chdb';

/** Databases the engine owns; every other one is the store's. */
const ENGINE_DATABASES = ['system', 'INFORMATION_SCHEMA', 'information_schema', 'default'];

/** Open EmbeddedConnections per data directory in this process. */
const openCounts = new Map<string, number>();

export function countOpened(dataDir: string): void {
  const key = resolve(dataDir);
  openCounts.set(key, (openCounts.get(key) ?? 0) + 1);
}

/** Call before closing a connection: the last one of a data directory detaches its databases first. */
export function releaseOpened(dataDir: string): void {
  const key = resolve(dataDir);
  const left = (openCounts.get(key) ?? 1) - 1;
  if (left > 0) {
    openCounts.set(key, left);
    return;
  }
  openCounts.delete(key);
  detachDatabases(dataDir);
}

/**
 * Synchronous, on a connection of its own (the caller's still holds the server up). Best effort:
 * whatever fails here must not stop a shutdown.
 */
function detachDatabases(dataDir: string): void {
  let session: Session | undefined;
  try {
    session = new Session(dataDir);
    const list = ENGINE_DATABASES.map((d) => `'${d}'`).join(', ');
    const names = session.query(`SELECT name FROM system.databases WHERE name NOT IN (${list})`, 'TSVRaw').split('\n').filter(Boolean);
    for (const name of names) session.query(`DETACH DATABASE \`${name.replaceAll('`', '``')}\``, 'TSV');
  } catch {
    // The engine may be unusable already (a failed start): the shutdown goes on as before.
  } finally {
    try {
      session?.close();
    } catch {
      /* best effort */
    }
  }
}
