/**
 * What a processor's local state holds, per partition database and key prefix (keys, bytes, lmdb pages):
 * opens the lmdb environment of a state slot read-only, so it can run beside the worker that writes it
 * (BENCHMARKS.md, "the full seed day": the state at 22 % of the day). Not part of any test.
 *
 *   npx tsx bench/lmdb-state.ts <CS_STATE_DIR>/<group>/slot-<n>
 */
import { open } from 'lmdb';
const dir = process.argv[2];
if (!dir) throw new Error('usage: lmdb-state.ts <state slot directory>');
const env = open<Buffer, string>({ path: dir, readOnly: true, maxDbs: 4096, encoding: 'binary' });
const stats = env.getStats() as Record<string, number>;
console.log('env', JSON.stringify(stats));
const names: string[] = [];
for (const { key } of env.getRange({})) names.push(String(key));
const total = { keys: 0, bytes: 0 };
for (const name of names) {
  const db = env.openDB<Buffer, string>({ name, encoding: 'binary' });
  const byPrefix = new Map<string, { keys: number; bytes: number }>();
  for (const { key, value } of db.getRange({})) {
    const k = String(key);
    const prefix = k.includes(':') ? k.slice(0, k.indexOf(':')) : k.slice(0, 12);
    const e = byPrefix.get(prefix) ?? { keys: 0, bytes: 0 };
    e.keys++;
    e.bytes += value.length + k.length;
    byPrefix.set(prefix, e);
  }
  const s = db.getStats() as Record<string, number>;
  const rows = [...byPrefix].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 6).map(([p, e]) => `${p}=${e.keys}/${(e.bytes / 1e6).toFixed(1)}MB`);
  const keys = [...byPrefix.values()].reduce((a, e) => a + e.keys, 0);
  const bytes = [...byPrefix.values()].reduce((a, e) => a + e.bytes, 0);
  total.keys += keys;
  total.bytes += bytes;
  if (bytes > 1e6) console.log(name, `pages leaf ${s.treeLeafPageCount} branch ${s.treeBranchPageCount} overflow ${s.overflowPages}`, keys, (bytes / 1e6).toFixed(1), 'MB', rows.join(' '));
}
console.log('total keys', total.keys, 'bytes', (total.bytes / 1e6).toFixed(1), 'MB');
