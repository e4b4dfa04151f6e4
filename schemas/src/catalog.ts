// Loads every avro/<topic>/vN.avsc once and keeps, per topic, all versions with their avsc
// Type, fingerprint, Confluent id and the resolver that reads them as the latest version.
// Everything the codec needs per message is precomputed here, so decoding is map look-ups.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro, { type Schema, type Type } from 'avsc';
import { TOPICS, type Topic } from './types.ts';
import { canonicalForm, fingerprintBytes, rabin64 } from './fingerprint.ts';

/** avsc does not export its Resolver class; this is what createResolver returns. */
export type AvroResolver = ReturnType<Type['createResolver']>;

export const SCHEMA_DIR = fileURLToPath(new URL('../avro/', import.meta.url));
export const REGISTRY_FILE = fileURLToPath(new URL('../registry.json', import.meta.url));

/**
 * Where `catalog()` reads the schemas: `CS_SCHEMA_DIR`, a directory laid out like this package
 * (`avro/<topic>/vN.avsc` and `registry.json`) — e.g. a newer version given to the consumers before any
 * producer writes it — else this package's own files.
 */
export function schemaSource(env: Record<string, string | undefined> = process.env): { schemaDir: string; registryFile: string } {
  const dir = env.CS_SCHEMA_DIR?.trim();
  return dir ? { schemaDir: join(dir, 'avro'), registryFile: join(dir, 'registry.json') } : { schemaDir: SCHEMA_DIR, registryFile: REGISTRY_FILE };
}

/** A record schema as written in a .avsc file. */
export interface RecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: Array<{ name: string; type: unknown; default?: unknown; doc?: string }>;
}

/** One vN.avsc file as read from disk. */
export interface SchemaFile {
  version: number;
  schema: RecordSchema;
}

export interface SchemaVersion {
  topic: Topic;
  version: number;
  schema: RecordSchema;
  /** avsc type of this version (no logical types registered: timestamps stay numbers). */
  type: Type;
  canonical: string;
  fingerprint: bigint;
  /** The 8 fingerprint bytes as a latin1 string: the look-up key for single-object headers. */
  fingerprintKey: string;
  /** Confluent Schema Registry id from registry.json, if assigned. */
  registryId: number | undefined;
  /** Reads data written with this version as the topic's latest; undefined for the latest itself. */
  resolver: AvroResolver | undefined;
}

export interface TopicSchemas {
  topic: Topic;
  /** Ascending by version, v1 first. */
  versions: SchemaVersion[];
  latest: SchemaVersion;
}

const VERSION_FILE = /^v([1-9][0-9]*)\.avsc$/;

/** Reads the vN.avsc files of one topic directory, ascending; versions must be 1..n without gaps. */
export function readSchemaFiles(topicDir: string): SchemaFile[] {
  const files = readdirSync(topicDir)
    .map((name) => ({ name, m: VERSION_FILE.exec(name) }))
    .filter((f) => f.m !== null)
    .map((f) => ({
      version: Number(f.m?.[1]),
      schema: JSON.parse(readFileSync(join(topicDir, f.name), 'utf8')) as RecordSchema,
    }))
    .sort((a, b) => a.version - b.version);
  files.forEach((f, i) => {
    if (f.version !== i + 1) throw new Error(`${topicDir}: schema versions must be v1..vN without gaps, found v${f.version} at position ${i + 1}`);
  });
  if (files.length === 0) throw new Error(`${topicDir}: no vN.avsc schema files`);
  return files;
}

/** Parses a schema with avsc the way the codec uses it (own registry so versions don't clash). */
export function avroType(schema: unknown): Type {
  return avro.Type.forSchema(schema as Schema, { omitRecordMethods: true });
}

/** Builds the per-topic catalog from schema files and Confluent ids ("topic/vN" → id). */
export function buildTopicSchemas(topic: Topic, files: SchemaFile[], ids: Record<string, number>): TopicSchemas {
  const types = files.map((f) => avroType(f.schema));
  const latestType = types[types.length - 1] as Type;
  const versions = files.map((f, i): SchemaVersion => {
    const type = types[i] as Type;
    const canonical = canonicalForm(f.schema);
    const fingerprint = rabin64(Buffer.from(canonical, 'utf8'));
    return {
      topic,
      version: f.version,
      schema: f.schema,
      type,
      canonical,
      fingerprint,
      fingerprintKey: fingerprintBytes(fingerprint).toString('latin1'),
      registryId: ids[`${topic}/v${f.version}`],
      resolver: type === latestType ? undefined : resolverFor(topic, latestType, type, files[files.length - 1]!.version, f.version),
    };
  });
  return { topic, versions, latest: versions[versions.length - 1] as SchemaVersion };
}

/** Reads data of an older version as the latest; refuses (SPEC §2) a latest version that cannot. */
function resolverFor(topic: Topic, latest: Type, older: Type, latestVersion: number, olderVersion: number): AvroResolver {
  try {
    return latest.createResolver(older);
  } catch (err) {
    throw new Error(`${topic}: schema v${latestVersion} cannot read v${olderVersion} (not backward compatible): ${err instanceof Error ? err.message : String(err)}`);
  }
}

let cache: Map<Topic, TopicSchemas> | undefined;

/** All topics' schemas from schemaSource(): the package's avro/ folder and registry.json, or CS_SCHEMA_DIR (loaded once). */
export function catalog(): Map<Topic, TopicSchemas> {
  if (cache) return cache;
  const { schemaDir, registryFile } = schemaSource();
  const ids = JSON.parse(readFileSync(registryFile, 'utf8')) as Record<string, number>;
  const built = new Map<Topic, TopicSchemas>();
  for (const topic of TOPICS) built.set(topic, buildTopicSchemas(topic, readSchemaFiles(join(schemaDir, topic)), ids));
  cache = built;
  return built;
}

export function isTopic(topic: unknown): topic is Topic {
  return typeof topic === 'string' && (TOPICS as readonly string[]).includes(topic);
}

/** The schemas of one topic; throws on an unknown topic name. */
export function topicSchemas(topic: Topic): TopicSchemas {
  const t = catalog().get(topic);
  if (!t) throw new Error(`unknown topic "${String(topic)}"; expected one of ${TOPICS.join(', ')}`);
  return t;
}
