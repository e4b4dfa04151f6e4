/**
 * Summarises a V8 .cpuprofile (e.g. from `BENCH_PROFILE=1 npm run bench`): the functions with the
 * most self time, and the most inclusive time (own frames + callees, counted once per sample); or a
 * sampling .heapprofile (BENCH_SEED_PROFILE): the functions allocating the most bytes.
 *
 *   npx tsx bench/profile-top.ts <file.cpuprofile|file.heapprofile> [top=25]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

interface HeapNode {
  callFrame: Node['callFrame'];
  selfSize: number;
  children: HeapNode[];
}
interface HeapProfile {
  head: HeapNode;
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? 25);
const json = JSON.parse(readFileSync(file, 'utf8')) as Profile | HeapProfile;
const name = (f: Node['callFrame']) => {
  const url = f.url.replace(/^file:\/\//, '');
  const where = url ? `${url.includes('/node_modules/') ? url.slice(url.lastIndexOf('/node_modules/') + 14) : relative(process.cwd(), url)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
};
const print = (title: string, m: Map<string, number>, total: number, unit: (v: number) => string) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${unit(v).padStart(9)}  ${k}`);
};
if ('head' in json) summariseAllocations(json);
else summariseTime(json);

/** A sampling heap profile: bytes allocated per function (own, and with its callees), collected ones included. */
function summariseAllocations(h: HeapProfile): void {
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode, stack: string[]): number => {
    const k = name(n.callFrame);
    let size = n.selfSize;
    self.set(k, (self.get(k) ?? 0) + n.selfSize);
    total += n.selfSize;
    const inner = stack.includes(k) ? stack : [...stack, k];
    for (const c of n.children) size += walk(c, inner);
    if (!stack.includes(k)) incl.set(k, (incl.get(k) ?? 0) + size);
    return size;
  };
  walk(h.head, []);
  const mb = (v: number) => `${(v / 2 ** 20).toFixed(0)} MiB`;
  print(`allocated, own (of ${mb(total)} sampled)`, self, total, mb);
  print(`allocated, with callees (of ${mb(total)} sampled)`, incl, total, mb);
}

function summariseTime(p: Profile): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const leaf = byId.get(id)!;
    self.set(name(leaf.callFrame), (self.get(name(leaf.callFrame)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  });

  const ms = (v: number) => `${(v / 1e3).toFixed(0)} ms`;
  print(`self time (of ${(total / 1e6).toFixed(1)} s sampled on the main thread)`, self, total, ms);
  print(`inclusive time (of ${(total / 1e6).toFixed(1)} s sampled on the main thread)`, incl, total, ms);
}
