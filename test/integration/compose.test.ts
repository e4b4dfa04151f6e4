/**
 * The docker compose stack, checked without a Docker engine: docker-compose.yml, the Dockerfile,
 * .dockerignore, the ClickHouse users file, the Grafana provisioning and the deploy/docker scripts,
 * against each other and against the code.
 *
 * - every image is pinned; every bind-mounted path exists; healthchecks and depends_on are well formed
 * - every environment key set for a Node service is one that service reads: the keys are collected
 *   from the sources its entry file imports (relative and @cs/* imports, followed transitively), so a
 *   typo in compose fails here
 * - shared settings (CS_TIMEZONE, passwords, brokers…) agree across services; ports and users line up
 * - the healthcheck probe and the migrations one-shot actually run (the latter on the embedded engine)
 *
 * No YAML library is a dependency of the repo, so docker-compose.yml and the Grafana provisioning
 * files are written in a small YAML subset parsed below; the parser rejects anything outside it
 * (anchors, flow mappings, block scalars, multi-line scalars) instead of misreading it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOPICS } from '@cs/schemas';
import { DEAD_LETTER_TOPIC } from '../../services/processor/src/topics.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

// ---- a strict YAML subset ------------------------------------------------------------------------

type Yaml = string | null | Yaml[] | { [key: string]: Yaml };
type YamlMap = { [key: string]: Yaml };

class YamlSubsetError extends Error {}

interface Line {
  no: number;
  indent: number;
  text: string;
}

/** Cuts a `#` comment that starts a line or follows whitespace, outside quoted scalars. */
function stripComment(raw: string): string {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    const prev = i === 0 ? ' ' : raw[i - 1]!;
    if (quote) {
      if (c === quote) {
        if (quote === "'" && raw[i + 1] === "'") i++;
        else quote = null;
      } else if (c === '\\' && quote === '"') i++;
    } else if ((c === '"' || c === "'") && /[\s[,:]/.test(prev)) quote = c;
    else if (c === '#' && /\s/.test(prev)) return raw.slice(0, i);
  }
  return raw;
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#&*!|>%@`[\]{},?-][^#]*?|-[^\s#][^#]*?)\s*:(?:\s+(.*))?$/;

function unquote(text: string, where: string): string {
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new YamlSubsetError(`${where}: unterminated "…"`);
    return text.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => {
      const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t' };
      if (!(c in map)) throw new YamlSubsetError(`${where}: escape \\${c} is outside the subset`);
      return map[c]!;
    });
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new YamlSubsetError(`${where}: unterminated '…'`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  return text;
}

/** Splits a one-line flow sequence `[a, "b, c", 'd']` into its scalars. */
function flowSequence(text: string, where: string): string[] {
  if (!text.endsWith(']')) throw new YamlSubsetError(`${where}: a flow sequence must close on its line`);
  const body = text.slice(1, -1).trim();
  if (body === '') return [];
  const items: string[] = [];
  let i = 0;
  while (i < body.length) {
    while (body[i] === ' ') i++;
    let end: number;
    if (body[i] === '"' || body[i] === "'") {
      const q = body[i]!;
      end = i + 1;
      while (end < body.length && !(body[end] === q && body[end - 1] !== '\\')) end++;
      end++;
    } else {
      end = body.indexOf(',', i);
      if (end < 0) end = body.length;
    }
    const item = body.slice(i, end).trim();
    if (/^[[{]/.test(item)) throw new YamlSubsetError(`${where}: nested flow collections are outside the subset`);
    items.push(scalar(item, where));
    i = end;
    while (body[i] === ' ') i++;
    if (i < body.length && body[i] !== ',') throw new YamlSubsetError(`${where}: expected "," in flow sequence`);
    i++;
  }
  return items;
}

function scalar(text: string, where: string): string {
  if (text.startsWith('"') || text.startsWith("'")) return unquote(text, where);
  if (/^[&*!|>%@`{]/.test(text)) throw new YamlSubsetError(`${where}: "${text[0]}" (anchor, alias, tag, block scalar or flow mapping) is outside the subset`);
  if (/:\s/.test(text) || text.endsWith(':')) throw new YamlSubsetError(`${where}: plain scalar with ": " (quote it)`);
  return text;
}

function parseYamlSubset(source: string, file: string): Yaml {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    if (/^\s*\t/.test(raw)) throw new YamlSubsetError(`${where}: tab indentation`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '') return;
    if (/^(---|\.\.\.)(\s|$)/.test(text)) throw new YamlSubsetError(`${where}: multiple documents are outside the subset`);
    lines.push({ no: i + 1, indent: text.length - text.trimStart().length, text: text.trimStart() });
  });
  let pos = 0;
  const here = () => `${file}:${lines[pos]?.no ?? 'end'}`;
  const isItem = (l: Line | undefined) => l !== undefined && (l.text === '-' || l.text.startsWith('- '));

  function block(): Yaml {
    return isItem(lines[pos]) ? sequence(lines[pos]!.indent) : mapping(lines[pos]!.indent);
  }

  function value(rest: string | undefined, indent: number): Yaml {
    if (rest !== undefined && rest !== '') return rest.startsWith('[') ? flowSequence(rest, here()) : scalar(rest, here());
    pos++;
    const next = lines[pos];
    if (next && next.indent > indent) return block();
    if (isItem(next) && next!.indent === indent) throw new YamlSubsetError(`${here()}: indent a sequence under its key`);
    return null;
  }

  function mapping(indent: number): YamlMap {
    const out: YamlMap = {};
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const line = lines[pos]!;
      if (isItem(line)) throw new YamlSubsetError(`${here()}: sequence item where a key was expected`);
      const m = KEY.exec(line.text);
      if (!m) throw new YamlSubsetError(`${here()}: expected "key: value", got "${line.text}"`);
      const key = unquote(m[1]!, here());
      if (Object.hasOwn(out, key)) throw new YamlSubsetError(`${here()}: duplicate key "${key}"`);
      const rest = m[2];
      out[key] = value(rest, indent);
      if (rest !== undefined && rest !== '') pos++;
    }
    if (pos < lines.length && lines[pos]!.indent > indent) throw new YamlSubsetError(`${here()}: unexpected indentation`);
    return out;
  }

  function sequence(indent: number): Yaml[] {
    const out: Yaml[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && isItem(lines[pos])) {
      const line = lines[pos]!;
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        out.push(value(undefined, indent));
        continue;
      }
      const m = KEY.exec(rest);
      if (m && !rest.startsWith('[') && !rest.startsWith('"') && !rest.startsWith("'")) {
        // "- key: value": a mapping whose keys are aligned with "key".
        const childIndent = indent + (line.text.length - rest.length);
        lines[pos] = { no: line.no, indent: childIndent, text: rest };
        out.push(mapping(childIndent));
        continue;
      }
      out.push(rest.startsWith('[') ? flowSequence(rest, here()) : scalar(rest, here()));
      pos++;
    }
    if (pos < lines.length && lines[pos]!.indent > indent) throw new YamlSubsetError(`${here()}: unexpected indentation`);
    return out;
  }

  if (lines.length === 0) return null;
  const doc = block();
  if (pos < lines.length) throw new YamlSubsetError(`${here()}: unexpected content (indentation?)`);
  return doc;
}

const isMap = (y: Yaml | undefined): y is YamlMap => typeof y === 'object' && y !== null && !Array.isArray(y);
const asMap = (y: Yaml | undefined, what: string): YamlMap => {
  if (!isMap(y)) throw new Error(`${what}: expected a mapping`);
  return y;
};
const asList = (y: Yaml | undefined, what: string): Yaml[] => {
  if (!Array.isArray(y)) throw new Error(`${what}: expected a sequence`);
  return y;
};
const asString = (y: Yaml | undefined, what: string): string => {
  if (typeof y !== 'string') throw new Error(`${what}: expected a scalar`);
  return y;
};

// ---- compose variable interpolation ------------------------------------------------------------------

interface VarRef {
  name: string;
  /** `${X:-d}` → ':-', `${X-d}` → '-', `${X:?e}` → ':?', … ; undefined for `${X}` / `$X`. */
  op: string | undefined;
  fallback: string | undefined;
}

const VAR = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Compose interpolation with an empty environment (every variable takes its default). */
function interpolate(text: string, env: Record<string, string> = {}): string {
  return text.replace(VAR, (_m, dollar: string | undefined, name: string | undefined, op: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    if (dollar) return '$';
    const v = env[(name ?? bare)!];
    if (op === ':-') return v === undefined || v === '' ? (fallback ?? '') : v;
    if (op === '-') return v === undefined ? (fallback ?? '') : v;
    if (op === ':?' || op === '?') {
      if (v === undefined || (op === ':?' && v === '')) throw new Error(`required variable ${name} is not set`);
      return v;
    }
    if (op === ':+' || op === '+') return v === undefined || (op === ':+' && v === '') ? '' : (fallback ?? '');
    return v ?? '';
  });
}

function varRefs(text: string): VarRef[] {
  const out: VarRef[] = [];
  for (const m of text.matchAll(VAR)) {
    if (m[1]) continue;
    out.push({ name: (m[2] ?? m[5])!, op: m[3], fallback: m[4] });
  }
  return out;
}

function everyScalar(y: Yaml, visit: (s: string, path: string) => void, path = ''): void {
  if (typeof y === 'string') visit(y, path);
  else if (Array.isArray(y)) y.forEach((v, i) => everyScalar(v, visit, `${path}[${i}]`));
  else if (y) for (const [k, v] of Object.entries(y)) everyScalar(v, visit, path ? `${path}.${k}` : k);
}

// ---- environment keys a service reads ---------------------------------------------------------------

/** Workspace package name → its entry file (package.json `main`), from the root `workspaces`. */
function workspaceEntries(): Map<string, string> {
  const out = new Map<string, string>();
  const patterns = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
  for (const pattern of patterns) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2))).map((d) => `${pattern.slice(0, -2)}/${d}`)
      : [pattern];
    for (const dir of dirs) {
      const pkgFile = join(root, dir, 'package.json');
      if (!existsSync(pkgFile)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name: string; main?: string };
      out.set(pkg.name, join(root, dir, pkg.main ?? 'index.js'));
    }
  }
  return out;
}

const IMPORT = /(?:^|[;\s])(import|export)\s+(type\s+)?(?:[\w*{}\s,$]*?\s*from\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The repo source files a service loads: its entry and everything it imports, transitively. */
function sourceClosure(entry: string, workspaces: Map<string, string>): Set<string> {
  const seen = new Set<string>();
  const queue = [resolve(root, entry)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      if (m[2]) continue; // `import type` / `export type`: nothing runs
      const spec = (m[3] ?? m[4])!;
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (workspaces.has(spec)) queue.push(workspaces.get(spec)!);
    }
  }
  return seen;
}

const KEY_PATTERNS = [
  // envReader: r.string('X', …), envReader().int('X', …), …
  /\.(?:string|int|number|duration|bool|optional|timeZone|oneOf)\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g,
  // loadKafkaConfig: value('X')
  /\bvalue\(\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\)/g,
  // process.env.X, env.X, env['X']
  /\benv\.([A-Z][A-Z0-9_]*)\b/g,
  /\benv\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g,
  // simulator: num('flag', 'SIM_X', …) — a CLI flag and the variable behind it
  /\(\s*'[a-z][a-z-]*'\s*,\s*'([A-Z][A-Z0-9_]*)'/g,
];
/** env[`CS_TARGET_${…}`]: a family of keys. */
const PREFIX_PATTERN = /\benv\[\s*`([A-Z][A-Z0-9_]*_)\$\{/g;

interface KnownKeys {
  keys: Set<string>;
  prefixes: Set<string>;
  files: string[];
}

function knownEnvKeys(entry: string, workspaces: Map<string, string>): KnownKeys {
  const keys = new Set<string>();
  const prefixes = new Set<string>();
  const files = [...sourceClosure(entry, workspaces)];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const re of KEY_PATTERNS) for (const m of text.matchAll(re)) keys.add(m[1]!);
    for (const m of text.matchAll(PREFIX_PATTERN)) prefixes.add(m[1]!);
  }
  return { keys, prefixes, files: files.map((f) => relative(root, f)) };
}

/** Read by Node itself, not by our config code. */
const NODE_RUNTIME_KEYS = new Set(['NODE_ENV', 'NODE_OPTIONS', 'TZ']);

/**
 * Keys compose sets ahead of the code (the lead adds them). Once the code reads a key, the test asks
 * for its removal from here, so this list only ever holds what is really pending.
 */
const PENDING_KEYS: Record<string, string[]> = {};

// ---- the files under test ------------------------------------------------------------------------------

const compose = asMap(parseYamlSubset(read('docker-compose.yml'), 'docker-compose.yml'), 'docker-compose.yml');
const services = asMap(compose.services, 'services');
const service = (name: string) => asMap(services[name], `services.${name}`);
const envOf = (name: string): Record<string, string> => {
  const env = service(name).environment;
  if (env === undefined) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(env, `services.${name}.environment`))) out[k] = v === null ? '' : asString(v, `services.${name}.environment.${k}`);
  return out;
};
const listOf = (name: string, field: string): string[] => {
  const v = service(name)[field];
  return v === undefined ? [] : asList(v, `services.${name}.${field}`).map((x, i) => asString(x, `services.${name}.${field}[${i}]`));
};

const BUILT_IMAGE = 'cs-analytics:local';
/** Services run from our Dockerfile, by the entry file their command names. */
const nodeServices = Object.keys(services).filter((name) => service(name).build !== undefined);
const entryOf = (name: string) => listOf(name, 'command')[0]!;

const EXPECTED_SERVICES = ['kafka', 'kafka-init', 'clickhouse', 'migrations', 'processor', 'ingest', 'forecaster', 'simulator', 'grafana'];
const ONE_SHOTS = ['kafka-init', 'migrations'];
/** Long-running services without an HTTP server to probe (none: every service serves /readyz). */
const NO_HEALTHCHECK = new Set<string>();
const SHARED_KEYS = ['KAFKA_BROKERS', 'KAFKA_CLIENT', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CS_DATABASE', 'CS_TIMEZONE', 'CS_TOPIC_PREFIX', 'CS_ANALYST_PASSWORD', 'LOG_LEVEL'];
const REQUIRED_ENV: Record<string, string[]> = {
  migrations: ['CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CS_DATABASE', 'CS_TIMEZONE'],
  processor: ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CS_DATABASE', 'CS_TIMEZONE', 'CS_TOPIC_PREFIX', 'KAFKA_PARTITIONS', 'PROCESSOR_HTTP_PORT'],
  ingest: ['KAFKA_BROKERS', 'CS_TOPIC_PREFIX', 'INGEST_HOST', 'INGEST_PORT'],
  simulator: ['KAFKA_BROKERS', 'CS_TOPIC_PREFIX', 'CS_TIMEZONE', 'SIM_HTTP_PORT'],
  forecaster: ['CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CS_DATABASE', 'CS_TIMEZONE', 'FORECASTER_HTTP_PORT'],
};

const DURATION = /^(\d+(\.\d+)?(us|ms|s|m|h))+$/;

function parsePort(spec: string): { host: string | undefined; published: string; target: string } {
  const parts = interpolate(spec).split(':');
  const target = parts.pop()!.replace(/\/(tcp|udp)$/, '');
  const published = parts.pop() ?? target;
  return { host: parts.length ? parts.join(':') : undefined, published, target };
}

/** The URL a healthcheck probes, if it is an HTTP probe. */
function probeUrl(test: string[]): URL | undefined {
  const m = /https?:\/\/[^\s"']+/.exec(test.join(' '));
  return m ? new URL(m[0]) : undefined;
}

// ---- tests -----------------------------------------------------------------------------------------------

describe('YAML subset parser', () => {
  it('reads the constructs the compose file uses and refuses the rest', () => {
    const doc = parseYamlSubset(
      ['a: 1 # note', 'b:', '  - x', '  - "y: z"', '  - k: v', '    k2: [p, "q, r", \'s\']', 'c:', "d: 'it''s'", 'e: "#not a comment"'].join('\n'),
      't',
    );
    expect(doc).toEqual({ a: '1', b: ['x', 'y: z', { k: 'v', k2: ['p', 'q, r', 's'] }], c: null, d: "it's", e: '#not a comment' });
    for (const bad of ['a: &x 1', 'a: *x', 'a: |', 'a: {b: 1}', 'a: b: c', 'a:\n- x', 'a: 1\na: 2', 'a: [1,\n  2]', '---\na: 1', 'a:\n  b: 1\n c: 2']) {
      expect(() => parseYamlSubset(bad, 't'), bad).toThrow(YamlSubsetError);
    }
  });

  it('interpolates like compose', () => {
    expect(interpolate('${A:-x}-${B-y}-$$-${C:-}', { B: '' })).toBe('x--$-');
    expect(interpolate('${HEAP:--Xms1g -Xmx2g}')).toBe('-Xms1g -Xmx2g');
    expect(() => interpolate('${NEED:?set it}')).toThrow(/NEED/);
  });
});

describe('docker-compose.yml', () => {
  it('has the whole stack and nothing unexpected', () => {
    expect(Object.keys(services).sort()).toEqual([...EXPECTED_SERVICES].sort());
    expect(Object.keys(compose).filter((k) => !['name', 'services', 'volumes', 'networks'].includes(k))).toEqual([]);
  });

  it('gives every variable a default and the same default everywhere', () => {
    const defaults = new Map<string, Set<string>>();
    const problems: string[] = [];
    everyScalar(compose, (s, path) => {
      for (const ref of varRefs(s)) {
        if (ref.op !== ':-') problems.push(`${path}: \${${ref.name}} needs a default (\${${ref.name}:-…}) so a bare \`docker compose up\` works`);
        const set = defaults.get(ref.name) ?? new Set<string>();
        set.add(ref.fallback ?? '');
        defaults.set(ref.name, set);
      }
    });
    for (const [name, set] of defaults) if (set.size > 1) problems.push(`${name} has different defaults: ${[...set].map((d) => JSON.stringify(d)).join(', ')}`);
    expect(problems).toEqual([]);
  });

  it('pins every image to a version tag', () => {
    for (const name of Object.keys(services)) {
      const image = interpolate(asString(service(name).image, `services.${name}.image`));
      expect(image, name).not.toMatch(/@sha256:$/);
      const [repo, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];
      expect(repo.length > 0 && !tag.includes('/'), `${name}: "${image}" has no tag`).toBe(true);
      expect(tag, name).not.toBe('latest');
      if (service(name).build === undefined) expect(tag, `${name}: "${image}" is not a version tag`).toMatch(/^v?\d+(\.\d+)+/);
      else expect(image, name).toBe(BUILT_IMAGE);
    }
  });

  it('bind-mounts only paths that exist, and declares its named volumes', () => {
    const named = Object.keys(asMap(compose.volumes ?? {}, 'volumes'));
    const used = new Set<string>();
    for (const name of Object.keys(services)) {
      for (const spec of listOf(name, 'volumes')) {
        const [source] = interpolate(spec).split(':');
        if (source!.startsWith('.') || source!.startsWith('/')) {
          expect(source!.startsWith('/'), `${name}: ${spec} mounts a host path outside the repo`).toBe(false);
          expect(existsSync(join(root, source!)), `${name}: ${source} does not exist`).toBe(true);
        } else {
          expect(named, `${name}: volume ${source} is not declared`).toContain(source);
          used.add(source!);
        }
      }
    }
    expect([...used].sort()).toEqual([...named].sort());
  });

  it('has valid healthchecks, restart policies and dependencies', () => {
    const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
    for (const name of Object.keys(services)) {
      const svc = service(name);
      const restart = asString(svc.restart, `${name}.restart`);
      expect(['no', 'always', 'on-failure', 'unless-stopped'], name).toContain(restart.replace(/:\d+$/, ''));
      if (ONE_SHOTS.includes(name)) expect(restart, name).toBe('no');

      if (svc.healthcheck !== undefined) {
        const hc = asMap(svc.healthcheck, `${name}.healthcheck`);
        const test = asList(hc.test, `${name}.healthcheck.test`).map((t) => asString(t, name));
        expect(['CMD', 'CMD-SHELL'], name).toContain(test[0]);
        expect(test.length, name).toBeGreaterThan(1);
        for (const field of ['interval', 'timeout', 'start_period']) expect(asString(hc[field], `${name}.healthcheck.${field}`), name).toMatch(DURATION);
        expect(asString(hc.retries, `${name}.healthcheck.retries`), name).toMatch(/^[1-9]\d*$/);
      } else {
        expect(ONE_SHOTS.includes(name) || NO_HEALTHCHECK.has(name), `${name} runs without a healthcheck`).toBe(true);
      }

      for (const [dep, spec] of Object.entries(asMap(svc.depends_on ?? {}, `${name}.depends_on`))) {
        expect(Object.keys(services), `${name} depends on unknown ${dep}`).toContain(dep);
        const condition = asString(asMap(spec, `${name}.depends_on.${dep}`).condition, `${name}.depends_on.${dep}.condition`);
        expect(conditions, `${name} → ${dep}`).toContain(condition);
        if (condition === 'service_healthy') expect(service(dep).healthcheck, `${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(ONE_SHOTS, `${name} waits for ${dep} to complete, but it is not a one-shot`).toContain(dep);
      }
    }
    // No cycles.
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, path: string[]) => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`depends_on cycle: ${[...path, name].join(' → ')}`);
      visiting.add(name);
      for (const dep of Object.keys(asMap(service(name).depends_on ?? {}, name))) visit(dep, [...path, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name, []);
  });

  it('sets only environment keys the Node services read', () => {
    const workspaces = workspaceEntries();
    const problems: string[] = [];
    expect(nodeServices.sort()).toEqual(['forecaster', 'ingest', 'migrations', 'processor', 'simulator']);
    for (const name of nodeServices) {
      const entry = entryOf(name);
      expect(existsSync(join(root, entry)), `${name}: entry ${entry} does not exist`).toBe(true);
      const known = knownEnvKeys(entry, workspaces);
      expect(known.files.length, `${name}: import graph of ${entry}`).toBeGreaterThan(3);
      const pending = PENDING_KEYS[name] ?? [];
      for (const key of pending) if (known.keys.has(key)) problems.push(`${name}: ${key} is now read by the code — remove it from PENDING_KEYS`);
      for (const key of Object.keys(envOf(name))) {
        const ok = known.keys.has(key) || NODE_RUNTIME_KEYS.has(key) || pending.includes(key) || [...known.prefixes].some((p) => key.startsWith(p));
        if (!ok) problems.push(`${name}: ${key} is not read by ${entry} or anything it imports (typo?)`);
      }
      for (const key of REQUIRED_ENV[name] ?? []) {
        if (!(key in envOf(name))) problems.push(`${name}: ${key} must be set (the in-container default is wrong)`);
        if (!known.keys.has(key) && !pending.includes(key)) problems.push(`${name}: REQUIRED_ENV lists ${key}, which the service does not read`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('finds the keys of the config sources (scanner self-check)', () => {
    const workspaces = workspaceEntries();
    const processor = knownEnvKeys(entryOf('processor'), workspaces);
    for (const key of ['PROCESSOR_GROUP_ID', 'PROCESSOR_HTTP_PORT', 'KAFKA_BROKERS', 'KAFKA_CLIENT', 'CLICKHOUSE_URL', 'CS_TIMEZONE', 'CS_FCR_WINDOW', 'KAFKA_PARTITIONS', 'LOG_LEVEL']) {
      expect(processor.keys, key).toContain(key);
    }
    const simulator = knownEnvKeys(entryOf('simulator'), workspaces);
    for (const key of ['SIM_RATE', 'SIM_SEED', 'SIM_MODE', 'KAFKA_BROKERS', 'CS_TOPIC_PREFIX']) expect(simulator.keys, key).toContain(key);
    const ingest = knownEnvKeys(entryOf('ingest'), workspaces);
    expect(ingest.keys).toContain('INGEST_HOST');
    expect(ingest.keys).not.toContain('CLICKHOUSE_URL');
  });

  it('uses one value for each shared setting', () => {
    for (const key of SHARED_KEYS) {
      const values = new Set(Object.keys(services).map((name) => envOf(name)[key]).filter((v) => v !== undefined));
      expect([...values], key).toHaveLength(values.size === 0 ? 0 : 1);
    }
  });

  it('points the services at the in-network Kafka and ClickHouse', () => {
    const kafka = envOf('kafka');
    const advertised = Object.fromEntries(interpolate(kafka.KAFKA_ADVERTISED_LISTENERS!).split(',').map((l) => l.split('://') as [string, string]));
    const internal = advertised[kafka.KAFKA_INTER_BROKER_LISTENER_NAME!]!;
    expect(internal).toBe('kafka:9092');
    for (const name of nodeServices) if (envOf(name).KAFKA_BROKERS !== undefined) expect(envOf(name).KAFKA_BROKERS, name).toBe(internal);
    expect(envOf('kafka-init').BOOTSTRAP_SERVER).toBe(internal);
    // The host listener is published on the port it advertises.
    const external = advertised.EXTERNAL!;
    const published = listOf('kafka', 'ports').map(parsePort);
    expect(published.map((p) => `localhost:${p.published}`)).toContain(external);
    expect(interpolate(kafka.KAFKA_LISTENERS!)).toContain(`EXTERNAL://:${published.find((p) => `localhost:${p.published}` === external)!.target}`);

    for (const name of nodeServices) {
      const url = envOf(name).CLICKHOUSE_URL;
      if (url === undefined) continue;
      const u = new URL(interpolate(url));
      expect(u.hostname, name).toBe('clickhouse');
      expect(listOf('clickhouse', 'ports').map(parsePort).map((p) => p.target), name).toContain(u.port);
    }
  });

  it('probes each Node service on the port it listens on, on an address reachable in the network', () => {
    const portKey: Record<string, string> = { processor: 'PROCESSOR_HTTP_PORT', ingest: 'INGEST_PORT', simulator: 'SIM_HTTP_PORT', forecaster: 'FORECASTER_HTTP_PORT' };
    const hostKey: Record<string, string> = { processor: 'PROCESSOR_HTTP_HOST', ingest: 'INGEST_HOST', simulator: 'SIM_HTTP_HOST', forecaster: 'FORECASTER_HTTP_HOST' };
    for (const [name, key] of Object.entries(portKey)) {
      const port = interpolate(envOf(name)[key]!);
      const hc = asMap(service(name).healthcheck, name);
      const test = asList(hc.test, name).map((t) => asString(t, name));
      const url = probeUrl(test)!;
      expect(url.port, name).toBe(port);
      expect(url.pathname, name).toBe('/readyz');
      const script = test.find((t) => t.endsWith('.mjs'))!;
      expect(script.startsWith('/app/') && existsSync(join(root, script.slice('/app/'.length))), `${name}: ${script}`).toBe(true);
      expect(interpolate(envOf(name)[hostKey[name]!]!), name).toBe('0.0.0.0');
      const exposed = [...listOf(name, 'expose'), ...listOf(name, 'ports').map((p) => parsePort(p).target)];
      expect(exposed, name).toContain(port);
    }
    // Replicas of the processor must not fight over a host port.
    expect(service('processor').ports).toBeUndefined();
  });

  it('creates the topics the pipeline uses', () => {
    const script = read('deploy/docker/create-topics.sh');
    const list = /^TOPICS=\(([^)]*)\)/m.exec(script)![1]!.trim().split(/\s+/);
    expect(list.sort()).toEqual([...TOPICS, DEAD_LETTER_TOPIC].sort());
    expect(interpolate(envOf('kafka-init').TOPIC_PARTITIONS!)).toBe(interpolate(envOf('processor').KAFKA_PARTITIONS!));
    expect(envOf('kafka-init').TOPIC_PREFIX).toBe(envOf('processor').CS_TOPIC_PREFIX);
    const mount = listOf('kafka-init', 'volumes').map((v) => v.split(':'));
    const entrypoint = listOf('kafka-init', 'entrypoint');
    expect(mount.some(([src, dst]) => src === './deploy/docker/create-topics.sh' && entrypoint.includes(dst!))).toBe(true);
    expect(spawnSync('bash', ['-n', join(root, 'deploy/docker/create-topics.sh')]).status).toBe(0);
  });

  it('lines up ClickHouse users, passwords and the Grafana data source', () => {
    const xml = read('deploy/clickhouse/users.d/cs-users.xml').replace(/<!--[\s\S]*?-->/g, '');
    const usersBlock = /<users>([\s\S]*)<\/users>/.exec(xml)![1]!;
    const users = new Map<string, string>();
    for (const m of usersBlock.matchAll(/<([a-z_][a-z0-9_]*)>([\s\S]*?)<\/\1>/g)) users.set(m[1]!, m[2]!);
    expect([...users.keys()].sort()).toEqual(['analyst', 'pipeline']);
    const passwordEnv = (user: string) => /<password from_env="([A-Z_][A-Z0-9_]*)"\s*\/>/.exec(users.get(user)!)![1]!;
    const chEnv = envOf('clickhouse');
    for (const user of users.keys()) expect(Object.keys(chEnv), `clickhouse must set ${passwordEnv(user)}`).toContain(passwordEnv(user));

    // The pipeline services log in as `pipeline` with the password the server was given.
    for (const name of nodeServices) {
      const env = envOf(name);
      if (env.CLICKHOUSE_URL === undefined) continue;
      expect(env.CLICKHOUSE_USER, name).toBe('pipeline');
      expect(env.CLICKHOUSE_PASSWORD, name).toBe(chEnv[passwordEnv('pipeline')]);
    }

    // The analyst is read-only.
    const profile = /<profile>([^<]+)<\/profile>/.exec(users.get('analyst')!)![1]!;
    const profileBlock = new RegExp(`<${profile}>([\\s\\S]*?)</${profile}>`).exec(xml)![1]!;
    expect(/<readonly>([12])<\/readonly>/.test(profileBlock)).toBe(true);
    expect(users.get('analyst')).toMatch(/GRANT SELECT ON cs\.\*/);
    expect(interpolate(envOf('processor').CS_DATABASE!)).toBe('cs');

    // Grafana: the data source logs in as analyst with the server's analyst password.
    const ds = asMap(asList(asMap(parseYamlSubset(read('deploy/grafana/provisioning/datasources/clickhouse.yaml'), 'clickhouse.yaml'), 'ds').datasources, 'datasources')[0], 'datasource');
    expect(ds.uid).toBe('cs-clickhouse');
    const json = asMap(ds.jsonData, 'jsonData');
    expect(json.username).toBe('analyst');
    expect(json.host).toBe('clickhouse');
    expect(json.protocol).toBe('http');
    expect(listOf('clickhouse', 'ports').map((p) => parsePort(p).target)).toContain(json.port);
    const grafanaEnv = envOf('grafana');
    const secure = asMap(ds.secureJsonData, 'secureJsonData');
    const refs = [json.defaultDatabase, secure.password].map((v) => /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(asString(v, 'ds'))![1]!);
    for (const ref of refs) expect(Object.keys(grafanaEnv), `grafana must set ${ref} for the provisioning`).toContain(ref);
    expect(grafanaEnv[refs[1]!]).toBe(chEnv[passwordEnv('analyst')]);
    expect(grafanaEnv[refs[0]!]).toBe(envOf('processor').CS_DATABASE);
    // The plugin that provides the data source type is the one installed.
    expect(interpolate(grafanaEnv.GF_PLUGINS_PREINSTALL_SYNC!).split(',').map((p) => p.split('@')[0])).toContain(ds.type);
  });

  it('provisions the dashboards from dashboards/', () => {
    const provider = asMap(asList(asMap(parseYamlSubset(read('deploy/grafana/provisioning/dashboards/provider.yaml'), 'provider.yaml'), 'p').providers, 'providers')[0], 'provider');
    expect(provider.allowUiUpdates).toBe('false');
    const path = asString(asMap(provider.options, 'options').path, 'path');
    const mounts = listOf('grafana', 'volumes').map((v) => v.split(':'));
    expect(mounts.some(([src, dst]) => src === './dashboards' && dst === path)).toBe(true);
    for (const sub of ['datasources', 'dashboards']) {
      expect(mounts.some(([src, dst]) => src === `./deploy/grafana/provisioning/${sub}` && dst === `/etc/grafana/provisioning/${sub}`), sub).toBe(true);
    }
    expect(existsSync(join(root, 'dashboards/README.md'))).toBe(true);
  });

  it('passes `docker compose config` where the compose plugin exists', () => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) return; // no compose plugin here (the checks above do not need one)
    const run = spawnSync('docker', ['compose', '-f', join(root, 'docker-compose.yml'), 'config', '--quiet'], { encoding: 'utf8', cwd: root });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');

  it('pins its base image and runs the services with tsx', () => {
    const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!.replace(/^\$\{(\w+)\}$/, (_x, a: string) => args[a] ?? ''));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/python3 make g\+\+/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--import", "tsx"\]$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    // The service entries named by compose are inside the image.
    for (const name of nodeServices) expect(existsSync(join(root, entryOf(name))), entryOf(name)).toBe(true);
  });

  it('keeps what the image needs in the build context, and leaves out the rest', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    // Docker's matching, enough for these patterns: `**` any depth, `*` and `?` within a segment,
    // and a match on a directory covers everything below it.
    const toRegex = (pattern: string) => {
      const p = pattern.replace(/^\//, '').replace(/\/$/, '');
      let re = '';
      for (let i = 0; i < p.length; i++) {
        const c = p[i]!;
        if (c === '*' && p[i + 1] === '*') {
          re += p[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += p[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
      }
      return new RegExp(`^${re}(?:/.*)?$`);
    };
    const ignored = (path: string) => {
      let out = false;
      for (const p of patterns) {
        const negate = p.startsWith('!');
        if (toRegex(negate ? p.slice(1) : p).test(path)) out = !negate;
      }
      return out;
    };
    const needed = ['package.json', 'package-lock.json', 'tsconfig.base.json', 'schemas/src/index.ts', 'deploy/clickhouse/migrations/0001_raw_events.sql', 'deploy/docker/healthcheck.mjs', 'deploy/docker/migrate.ts', 'packages/runtime/package.json'];
    for (const name of nodeServices) needed.push(entryOf(name));
    for (const path of needed) expect(ignored(path), `${path} must be in the build context`).toBe(false);
    for (const schema of readdirSync(join(root, 'schemas')).filter((d) => statSync(join(root, 'schemas', d)).isDirectory() && d !== 'test' && !d.startsWith('.'))) {
      expect(ignored(`schemas/${schema}`), `schemas/${schema}`).toBe(false);
    }
    for (const path of ['node_modules/x', 'packages/kafka/node_modules/x', '.stack/chdb', '.git/HEAD', 'test/integration/compose.test.ts', 'packages/runtime/test/a.test.ts']) {
      expect(ignored(path), `${path} should stay out of the build context`).toBe(true);
    }
  });
});

describe('deploy/docker scripts', () => {
  const probe = (url: string) =>
    new Promise<number>((done) => {
      execFile(process.execPath, [join(root, 'deploy/docker/healthcheck.mjs'), url, '2000'], (err) => done(err ? ((err as { code?: number }).code ?? 1) : 0));
    });

  it('healthcheck.mjs exits 0 on 2xx and 1 otherwise', async () => {
    let ready = false;
    const server = createServer((_req, res) => {
      res.writeHead(ready ? 200 : 503).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await probe(`http://127.0.0.1:${port}/readyz`)).toBe(1);
      ready = true;
      expect(await probe(`http://127.0.0.1:${port}/readyz`)).toBe(0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(await probe(`http://127.0.0.1:${port}/readyz`)).toBe(1); // refused
  });

  it('migrate.ts applies the migrations and exits 0 (embedded engine)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-migrate-'));
    try {
      const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CS_DATA_DIR: join(dir, 'chdb'), CS_TIMEZONE: 'Asia/Shanghai', LOG_LEVEL: 'info' };
      const run = () =>
        new Promise<{ code: number; out: string }>((done) => {
          execFile(process.execPath, ['--import', 'tsx', join(root, 'deploy/docker/migrate.ts')], { cwd: root, env, timeout: 120_000 }, (err, stdout, stderr) => {
            done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
          });
        });
      const first = await run();
      expect(first.code, first.out).toBe(0);
      expect(first.out).toMatch(/storage ready/);
      expect(first.out).toMatch(/"applied":\[\{"version":1/);
      const second = await run(); // idempotent
      expect(second.code, second.out).toBe(0);
      expect(second.out).toMatch(/"applied":\[\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
