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
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { parseDocument } from 'yaml';
import { TOPICS } from '@cs/schemas';
import { DEAD_LETTER_TOPIC } from '../../services/processor/src/topics.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

// ---- YAML ---------------------------------------------------------------------------------------------

type Yaml = string | null | Yaml[] | { [key: string]: Yaml };
type YamlMap = { [key: string]: Yaml };

/**
 * docker-compose.yml and the Grafana provisioning files, read with the `yaml` library. The failsafe
 * schema keeps every scalar a string, as compose reads environment values (`PORT: 8123` is "8123");
 * a duplicate key is an error, not a silent override.
 */
function parseYamlFile(source: string, file: string): Yaml {
  const doc = parseDocument(source, { schema: 'failsafe', uniqueKeys: true });
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  return doc.toJS() as Yaml;
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

/** The workspace directories, from the root `workspaces`. */
function workspaceDirs(): string[] {
  const patterns = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
  return patterns
    .flatMap((pattern) => (pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((d) => `${pattern.slice(0, -2)}/${d}`) : [pattern]))
    .filter((dir) => existsSync(join(root, dir, 'package.json')));
}

/** Workspace package name → its source entry, as tsc, tsx and vitest resolve it (tsconfig.base.json `paths`). */
function workspaceEntries(): Map<string, string> {
  const { paths } = (JSON.parse(read('tsconfig.base.json')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions;
  return new Map(Object.entries(paths).map(([name, [target]]) => [name, join(root, target!)]));
}

/**
 * The source file a built entry is compiled from: the nearest tsconfig.build.json above it maps
 * its outDir back to its rootDir (services/ingest/dist/main.js → services/ingest/src/main.ts).
 */
function sourceOf(entry: string): string {
  for (let dir = dirname(entry); dir !== '.' && dir !== ''; dir = dirname(dir)) {
    const config = join(root, dir, 'tsconfig.build.json');
    if (!existsSync(config)) continue;
    const { rootDir, outDir } = (JSON.parse(readFileSync(config, 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } }).compilerOptions;
    const rel = relative(join(dir, outDir), entry);
    if (rel.startsWith('..') || !rel.endsWith('.js')) throw new Error(`${entry} is not in ${join(dir, outDir)}, the output of ${config}`);
    return join(dir, rootDir, rel.replace(/\.js$/, '.ts'));
  }
  throw new Error(`no tsconfig.build.json builds ${entry}`);
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

const compose = asMap(parseYamlFile(read('docker-compose.yml'), 'docker-compose.yml'), 'docker-compose.yml');
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
const SHARED_KEYS = ['KAFKA_BROKERS', 'KAFKA_CLIENT', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CS_DATABASE', 'CS_TIMEZONE', 'CS_TOPIC_PREFIX', 'CS_RAW_RETENTION', 'CS_GRAFANA_PASSWORD', 'CS_PSEUDONYMIZE_KEY', 'LOG_LEVEL'];
/** The secrets the operator's .env must provide: the variables .env.example lists. */
const SECRETS = [...read('.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map((m) => ({ name: m[1]!, value: m[2]! }));
/** Secrets that switch a feature on when set: listed commented out, with an empty value, in .env.example. */
const OPTIONAL_SECRETS = [...read('.env.example').matchAll(/^#\s*([A-Z_][A-Z0-9_]*)=\s*$/gm)].map((m) => m[1]!);
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

describe('YAML as compose reads it', () => {
  it('keeps scalars as strings and refuses duplicate keys', () => {
    const doc = parseYamlFile(['a: 1 # note', 'b:', '  - x', '  - "y: z"', '  - k: v', '    k2: [p, "q, r", \'s\']', 'c:', "d: 'it''s'", 'e: "#not a comment"', 'f: true'].join('\n'), 't');
    expect(doc).toEqual({ a: '1', b: ['x', 'y: z', { k: 'v', k2: ['p', 'q, r', 's'] }], c: '', d: "it's", e: '#not a comment', f: 'true' });
    expect(() => parseYamlFile('a: 1\na: 2', 't')).toThrow(/t: Map keys must be unique/);
    expect(() => parseYamlFile('a: [1,\n', 't')).toThrow(/^t: /);
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

  it('requires every password from .env and gives every other variable the same default everywhere', () => {
    const secretNames = SECRETS.map((v) => v.name);
    const fallbacks = new Map<string, Set<string>>();
    const problems: string[] = [];
    everyScalar(compose, (s, path) => {
      for (const ref of varRefs(s)) {
        const secret = secretNames.includes(ref.name);
        if (secret && (ref.op !== ':?' || !ref.fallback?.includes('.env.example'))) {
          problems.push(`${path}: \${${ref.name}} is a secret: \${${ref.name}:?set ${ref.name} in .env, see .env.example} (no default password)`);
        }
        if (!secret && ref.op !== ':-') problems.push(`${path}: \${${ref.name}} needs a default (\${${ref.name}:-…}), or a place in .env.example if it is a secret`);
        const optional = OPTIONAL_SECRETS.includes(ref.name);
        if (optional && (ref.op !== ':-' || ref.fallback !== '')) problems.push(`${path}: \${${ref.name}} is an optional secret: \${${ref.name}:-} (off when unset, never a default value)`);
        if (/PASSWORD|SECRET|TOKEN|_KEY$/.test(ref.name) && !secret && !optional) problems.push(`${path}: ${ref.name} looks like a secret but .env.example does not list it`);
        const set = fallbacks.get(ref.name) ?? new Set<string>();
        set.add(ref.fallback ?? '');
        fallbacks.set(ref.name, set);
      }
    });
    for (const [name, set] of fallbacks) if (set.size > 1) problems.push(`${name} has different defaults: ${[...set].map((d) => JSON.stringify(d)).join(', ')}`);
    expect(problems).toEqual([]);
    expect(secretNames.sort()).toEqual(['CS_ANALYST_PASSWORD', 'CS_GRAFANA_PASSWORD', 'CS_WRITER_PASSWORD', 'GRAFANA_ADMIN_PASSWORD']);
    expect([...fallbacks.keys()].filter((k) => secretNames.includes(k)).sort()).toEqual(secretNames);
  });

  it('fails clearly without the .env passwords, and ships none (.env.example leaves them empty, .env is ignored)', () => {
    for (const secret of SECRETS) expect(secret.value, `.env.example must not suggest a password for ${secret.name}`).toBe('');
    const everyService = () => Object.keys(services).forEach((name) => Object.values(envOf(name)).forEach((v) => interpolate(v, env)));
    let env: Record<string, string> = {};
    expect(everyService).toThrow(/required variable (CS_WRITER_PASSWORD|CS_ANALYST_PASSWORD|CS_GRAFANA_PASSWORD|GRAFANA_ADMIN_PASSWORD) is not set/);
    for (const missing of SECRETS) {
      env = Object.fromEntries(SECRETS.filter((v) => v !== missing).map((v) => [v.name, `${v.name.toLowerCase()}-value`]));
      expect(everyService, missing.name).toThrow(`required variable ${missing.name} is not set`);
    }
    env = Object.fromEntries(SECRETS.map((v) => [v.name, `${v.name.toLowerCase()}-value`]));
    expect(everyService).not.toThrow();
    expect(interpolate(envOf('grafana').GF_SECURITY_ADMIN_PASSWORD!, env)).toBe('grafana_admin_password-value');
    expect(read('.gitignore').split('\n')).toContain('.env');
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
      const entry = sourceOf(entryOf(name));
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
    const processor = knownEnvKeys(sourceOf(entryOf('processor')), workspaces);
    for (const key of ['PROCESSOR_GROUP_ID', 'PROCESSOR_HTTP_PORT', 'KAFKA_BROKERS', 'KAFKA_CLIENT', 'CLICKHOUSE_URL', 'CS_TIMEZONE', 'CS_FCR_WINDOW', 'KAFKA_PARTITIONS', 'LOG_LEVEL']) {
      expect(processor.keys, key).toContain(key);
    }
    const simulator = knownEnvKeys(sourceOf(entryOf('simulator')), workspaces);
    for (const key of ['SIM_RATE', 'SIM_SEED', 'SIM_MODE', 'KAFKA_BROKERS', 'CS_TOPIC_PREFIX']) expect(simulator.keys, key).toContain(key);
    const ingest = knownEnvKeys(sourceOf(entryOf('ingest')), workspaces);
    for (const key of ['INGEST_HOST', 'CS_INGEST_API_KEYS', 'INGEST_RATE_LIMIT', 'CS_PSEUDONYMIZE_KEY']) expect(ingest.keys, key).toContain(key);
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
    expect([...users.keys()].sort()).toEqual(['analyst', 'grafana', 'writer']);
    const passwordEnv = (user: string) => /<password from_env="([A-Z_][A-Z0-9_]*)"\s*\/>/.exec(users.get(user)!)![1]!;
    const chEnv = envOf('clickhouse');
    for (const user of users.keys()) expect(Object.keys(chEnv), `clickhouse must set ${passwordEnv(user)}`).toContain(passwordEnv(user));

    // The pipeline services log in as `writer` with the password the server was given.
    for (const name of nodeServices) {
      const env = envOf(name);
      if (env.CLICKHOUSE_URL === undefined) continue;
      expect(env.CLICKHOUSE_USER, name).toBe('writer');
      expect(env.CLICKHOUSE_PASSWORD, name).toBe(chEnv[passwordEnv('writer')]);
    }

    // The readers are read-only.
    for (const reader of ['analyst', 'grafana']) {
      const profile = /<profile>([^<]+)<\/profile>/.exec(users.get(reader)!)![1]!;
      const profileBlock = new RegExp(`<${profile}>([\\s\\S]*?)</${profile}>`).exec(xml)![1]!;
      expect(/<readonly>([12])<\/readonly>/.test(profileBlock), reader).toBe(true);
      expect(users.get(reader), reader).toMatch(/GRANT SELECT ON cs\.\*/);
    }
    expect(interpolate(envOf('processor').CS_DATABASE!)).toBe('cs');

    // Grafana: the data source logs in as grafana with the server's grafana password.
    const ds = asMap(asList(asMap(parseYamlFile(read('deploy/grafana/provisioning/datasources/clickhouse.yaml'), 'clickhouse.yaml'), 'ds').datasources, 'datasources')[0], 'datasource');
    expect(ds.uid).toBe('cs-clickhouse');
    const json = asMap(ds.jsonData, 'jsonData');
    expect(json.username).toBe('grafana');
    expect(json.host).toBe('clickhouse');
    expect(json.protocol).toBe('http');
    expect(listOf('clickhouse', 'ports').map((p) => parsePort(p).target)).toContain(json.port);
    const grafanaEnv = envOf('grafana');
    const secure = asMap(ds.secureJsonData, 'secureJsonData');
    const refs = [json.defaultDatabase, secure.password].map((v) => /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(asString(v, 'ds'))![1]!);
    for (const ref of refs) expect(Object.keys(grafanaEnv), `grafana must set ${ref} for the provisioning`).toContain(ref);
    expect(grafanaEnv[refs[1]!]).toBe(chEnv[passwordEnv('grafana')]);
    expect(grafanaEnv[refs[0]!]).toBe(envOf('processor').CS_DATABASE);
    // The plugin that provides the data source type is the one installed.
    expect(interpolate(grafanaEnv.GF_PLUGINS_PREINSTALL_SYNC!).split(',').map((p) => p.split('@')[0])).toContain(ds.type);
  });

  it('provisions the dashboards from dashboards/', () => {
    const provider = asMap(asList(asMap(parseYamlFile(read('deploy/grafana/provisioning/dashboards/provider.yaml'), 'provider.yaml'), 'p').providers, 'providers')[0], 'provider');
    expect(provider.allowUiUpdates).toBe('false');
    const path = asString(asMap(provider.options, 'options').path, 'path');
    const mounts = listOf('grafana', 'volumes').map((v) => v.split(':'));
    expect(mounts.some(([src, dst]) => src === './dashboards' && dst === path)).toBe(true);
    for (const sub of ['datasources', 'dashboards']) {
      expect(mounts.some(([src, dst]) => src === `./deploy/grafana/provisioning/${sub}` && dst === `/etc/grafana/provisioning/${sub}`), sub).toBe(true);
    }
    expect(existsSync(join(root, 'dashboards/README.md'))).toBe(true);
  });

  it('provisions the alerting: rules on the provisioned data source, a webhook URL from the environment', () => {
    const mounts = listOf('grafana', 'volumes').map((v) => v.split(':'));
    expect(mounts.some(([src, dst]) => src === './deploy/grafana/provisioning/alerting' && dst === '/etc/grafana/provisioning/alerting')).toBe(true);
    const dir = 'deploy/grafana/provisioning/alerting';
    const files = readdirSync(join(root, dir)).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(['cs-metric-targets.yaml', 'cs-notifications.yaml', 'cs-pipeline-health.yaml']);
    const grafanaEnv = envOf('grafana');
    let rules = 0;
    // Grafana interpolates $VAR / ${VAR} from its environment in contact points, policies and rule
    // labels when it loads a file (not in rule queries or annotations, which keep $__timeFilter and
    // $labels): every variable there must be set, and labels need none.
    const mustBeSet = (y: Yaml | undefined, where: string) =>
      everyScalar(y ?? null, (text) => {
        for (const ref of varRefs(text)) expect(Object.keys(grafanaEnv), `grafana must set ${ref.name} for ${where}`).toContain(ref.name);
      });
    for (const f of files) {
      const doc = asMap(parseYamlFile(read(`${dir}/${f}`), f), f);
      expect(doc.apiVersion, f).toBe('1');
      for (const group of doc.groups === undefined ? [] : asList(doc.groups, 'groups')) {
        for (const rule of asList(asMap(group, 'group').rules, 'rules')) {
          for (const q of asList(asMap(rule, 'rule').data, 'data')) expect(['cs-clickhouse', '__expr__']).toContain(asMap(q, 'query').datasourceUid);
          everyScalar(asMap(rule, 'rule').labels ?? null, (text) => expect(text, `${f} label`).not.toContain('$'));
          rules++;
        }
      }
      mustBeSet(doc.contactPoints, f);
      mustBeSet(doc.policies, f);
    }
    expect(interpolate(grafanaEnv.CS_ALERT_WEBHOOK_URL!)).toMatch(/^https?:\/\//);
    expect(rules).toBeGreaterThan(5);
  });

  it('passes `docker compose config` where the compose plugin exists, and fails it without the passwords', () => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) return; // no compose plugin here (the checks above do not need one)
    // An empty env file, so a developer's own .env does not take part.
    const emptyEnvFile = join(mkdtempSync(join(tmpdir(), 'cs-compose-')), 'empty.env');
    writeFileSync(emptyEnvFile, '');
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SECRETS.some((v) => v.name === k)));
    const config = (env: NodeJS.ProcessEnv) =>
      spawnSync('docker', ['compose', '--env-file', emptyEnvFile, '-f', join(root, 'docker-compose.yml'), 'config', '--quiet'], { encoding: 'utf8', cwd: root, env });
    const ok = config({ ...base, ...Object.fromEntries(SECRETS.map((v) => [v.name, 'a-test-value'])) });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const refused = config(base);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/(CS_WRITER_PASSWORD|CS_ANALYST_PASSWORD|CS_GRAFANA_PASSWORD|GRAFANA_ADMIN_PASSWORD).*\.env\.example/);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');

  it('pins its base image, builds the sources and runs the built JavaScript with plain node', () => {
    const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!.replace(/^\$\{(\w+)\}$/, (_x, a: string) => args[a] ?? ''));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/python3 make g\+\+/);
    // Built before the dev tools are pruned; nothing runs through tsx.
    expect(dockerfile).toMatch(/RUN npm run build \\\n && npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node"\]$/m);
    expect(dockerfile).not.toMatch(/--import[", ]+tsx/);
    const cmd = /^CMD \["([^"]+)"\]$/m.exec(dockerfile)![1]!;
    expect(cmd).toBe(entryOf('processor'));
    expect(dockerfile).toMatch(/^USER node$/m);
    // Every service runs a built entry (dist/…js) whose source is in the repository and is built by `npm run build`.
    const built = new Set(['deploy/docker', ...workspaceDirs()]);
    for (const name of nodeServices) {
      const entry = entryOf(name);
      expect(entry, name).toMatch(/^[\w/.-]+\/dist\/[\w/.-]+\.js$/);
      expect(existsSync(join(root, sourceOf(entry))), sourceOf(entry)).toBe(true);
      expect(built.has(entry.slice(0, entry.indexOf('/dist/'))), `${entry} is built by npm run build`).toBe(true);
    }
    expect(JSON.parse(read('package.json')).scripts.build).toBe('turbo run build && tsc -p deploy/docker/tsconfig.build.json');
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
    const needed = ['package.json', 'package-lock.json', 'tsconfig.base.json', 'tsconfig.build.json', 'turbo.json', 'schemas/src/index.ts', 'deploy/clickhouse/migrations/0001_raw_events.sql', 'deploy/docker/healthcheck.mjs', 'deploy/docker/migrate.ts', 'deploy/docker/tsconfig.build.json', 'packages/runtime/package.json'];
    for (const dir of workspaceDirs()) needed.push(`${dir}/tsconfig.build.json`);
    for (const name of nodeServices) needed.push(sourceOf(entryOf(name)));
    for (const path of needed) expect(ignored(path), `${path} must be in the build context`).toBe(false);
    for (const schema of readdirSync(join(root, 'schemas')).filter((d) => statSync(join(root, 'schemas', d)).isDirectory() && d !== 'test' && d !== 'dist' && !d.startsWith('.'))) {
      expect(ignored(`schemas/${schema}`), `schemas/${schema}`).toBe(false);
    }
    // A build on the host stays out too: the image builds its own.
    for (const path of ['node_modules/x', 'packages/kafka/node_modules/x', '.stack/chdb', '.git/HEAD', 'test/integration/compose.test.ts', 'packages/runtime/test/a.test.ts', ...nodeServices.map(entryOf)]) {
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

describe('the build the image runs', () => {
  const workspaces = workspaceDirs().map((dir) => ({ dir, pkg: JSON.parse(read(`${dir}/package.json`)) as { name: string; private?: boolean; exports?: unknown; main?: string; types?: string; files?: string[]; scripts: Record<string, string>; dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> } }));

  it('compiles every workspace src/ to dist/, which its package exports name; the repository maps each to its sources', () => {
    const paths = workspaceEntries();
    for (const { dir, pkg } of workspaces) {
      expect(pkg.scripts.build, dir).toBe('tsc -p tsconfig.build.json');
      expect(JSON.parse(read(`${dir}/tsconfig.build.json`)), dir).toEqual({ extends: `${'../'.repeat(dir.split('/').length)}tsconfig.build.json`, compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'] });
      if (!existsSync(join(root, dir, 'src/index.ts'))) continue;
      expect(pkg.exports, dir).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
      expect([pkg.main, pkg.types], dir).toEqual(['./dist/index.js', './dist/index.d.ts']);
      expect(paths.get(pkg.name), `tsconfig.base.json paths["${pkg.name}"]`).toBe(join(root, dir, 'src/index.ts'));
    }
    expect(read('.gitignore')).toMatch(/^dist\/$/m);
  });

  it('publishes the SDK and what it depends on without forcing a native build', () => {
    const byName = new Map(workspaces.map((w) => [w.pkg.name, w]));
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const w = byName.get(name)!;
      expect(w.pkg.private, `${name} must be publishable`).toBeUndefined();
      expect(w.pkg.files, name).toContain('dist');
      expect(Object.keys(w.pkg.dependencies ?? {}), `${name} must not depend on node-rdkafka`).not.toContain('node-rdkafka');
      for (const dep of Object.keys(w.pkg.dependencies ?? {})) if (byName.has(dep)) visit(dep);
    };
    visit('@cs/producer');
    expect([...seen].sort()).toEqual(['@cs/kafka', '@cs/producer', '@cs/runtime', '@cs/schemas']);
    const kafka = byName.get('@cs/kafka')!.pkg;
    expect(kafka.peerDependencies?.['node-rdkafka']).toBeDefined();
    expect(kafka.peerDependenciesMeta?.['node-rdkafka']?.optional).toBe(true);
    // The processor can use either client, so it installs the native one.
    expect(byName.get('@cs/processor')!.pkg.dependencies?.['node-rdkafka']).toBeDefined();
  });

  it('builds every entry compose runs, which then run with plain node (no tsx)', async () => {
    const run = (args: string[], opts: { env?: Record<string, string>; timeout: number }) =>
      new Promise<{ code: number; out: string }>((done) => {
        execFile(args[0]!, args.slice(1), { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env }, timeout: opts.timeout }, (err, stdout, stderr) => {
          done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
        });
      });
    const build = await run(['npm', 'run', 'build'], { timeout: 300_000 });
    expect(build.code, build.out).toBe(0);
    for (const name of nodeServices) expect(existsSync(join(root, entryOf(name))), entryOf(name)).toBe(true);

    // The migrations one-shot, built, on the embedded engine.
    const dir = mkdtempSync(join(tmpdir(), 'cs-migrate-built-'));
    try {
      const migrate = await run([process.execPath, join(root, entryOf('migrations'))], { env: { CS_DATA_DIR: join(dir, 'chdb'), LOG_LEVEL: 'info' }, timeout: 120_000 });
      expect(migrate.code, migrate.out).toBe(0);
      expect(migrate.out).toMatch(/storage ready/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // The SDK as an installed package: its built exports load, and kafkajs does not load node-rdkafka.
    const sdk = await run([process.execPath, '--input-type=module', '-e', `
      import { createRequire } from 'node:module';
      const sdk = await import('@cs/producer');
      const kafka = await import('@cs/kafka');
      kafka.createProducer({ brokers: ['127.0.0.1:1'], clientId: 'x', client: 'kafkajs' });
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('node-rdkafka'));
      console.log(JSON.stringify({ exports: Object.keys(sdk).sort(), rdkafkaLoaded: loaded.length > 0, url: import.meta.resolve('@cs/producer') }));
    `], { timeout: 60_000 });
    expect(sdk.code, sdk.out).toBe(0);
    const report = JSON.parse(sdk.out.trim().split('\n').at(-1)!) as { exports: string[]; rdkafkaLoaded: boolean; url: string };
    expect(report.exports).toEqual(expect.arrayContaining(['createEventProducer', 'wrapProducer', 'toRecord', 'InvalidEventError', 'pseudonymizer']));
    expect(report.rdkafkaLoaded).toBe(false);
    expect(report.url).toMatch(/packages\/producer\/dist\/index\.js$/);

    // The built ingest API starts and answers its probes.
    const ingest = execFile(process.execPath, [join(root, entryOf('ingest'))], { cwd: root, env: { PATH: process.env.PATH ?? '', INGEST_PORT: '0', KAFKA_BROKERS: inject('kafkaBrokers').join(','), LOG_LEVEL: 'info' } });
    try {
      let log = '';
      ingest.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      const deadline = Date.now() + 60_000;
      let port: number | undefined;
      while (port === undefined && Date.now() < deadline) {
        port = (/"port":(\d+).*ingest API listening/.exec(log) ?? [])[1] as unknown as number | undefined;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(port, log).toBeDefined();
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/openapi.json`)).status).toBe(200);
    } finally {
      ingest.kill('SIGTERM');
    }
  });
});
