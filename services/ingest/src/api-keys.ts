/**
 * Ingest API keys. A key is a random secret given to one producer; the service keeps only its
 * SHA-256 (a key has 256 random bits, so a fast hash is enough: there is nothing to brute-force, which
 * is what scrypt would slow down). A presented key is hashed and compared with every entry in
 * constant time, and only its entry's name is ever logged.
 *
 * Entries (CS_INGEST_API_KEYS, or the file named by CS_INGEST_API_KEYS_FILE), a JSON array:
 *   [{ "name": "ivr", "sha256": "<64 hex>", "topics": ["cs.sessions", "cs.calls"] }]
 * `topics` is optional (every topic); a key used on another topic gets 403.
 * `npm run ingest-key -- --name ivr --topics cs.sessions,cs.calls` makes a key and its entry.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@cs/runtime';
import { isTopic, TOPICS, type Topic } from '@cs/schemas';

export interface ApiKeyEntry {
  /** Who holds the key: in logs, metrics and rate limits, never the key itself. */
  name: string;
  /** SHA-256 of the key. */
  sha256: Buffer;
  /** Topics the key may send to. */
  topics: ReadonlySet<Topic>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const hashApiKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** A new key (shown once) and its entry. */
export function newApiKey(name: string, topics?: Topic[]): { key: string; entry: { name: string; sha256: string; topics?: Topic[] } } {
  const key = `csk_${randomBytes(32).toString('base64url')}`;
  return { key, entry: { name, sha256: hashApiKey(key).toString('hex'), ...(topics ? { topics } : {}) } };
}

/** Parses the JSON array of entries; `source` names the variable or file in errors. */
export function parseApiKeys(text: string, source: string): ApiKeyEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source}: not valid JSON (${(err as Error).message}); expected [{"name": …, "sha256": …, "topics": […]}]`);
  }
  if (!Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON array of {"name", "sha256", "topics"}`);
  const names = new Set<string>();
  return raw.map((item, i) => {
    const e = item as { name?: unknown; sha256?: unknown; topics?: unknown };
    const where = `${source}[${i}]`;
    if (typeof e.name !== 'string' || !NAME.test(e.name)) throw new ConfigError(`${where}.name must be 1–64 letters, digits, "_", "." or "-"`);
    if (names.has(e.name)) throw new ConfigError(`${where}.name "${e.name}" is used twice`);
    names.add(e.name);
    if (typeof e.sha256 !== 'string' || !HEX64.test(e.sha256)) throw new ConfigError(`${where}.sha256 must be the 64 hex digits of the key's SHA-256 (npm run ingest-key makes one)`);
    let topics: Topic[] = [...TOPICS];
    if (e.topics !== undefined) {
      if (!Array.isArray(e.topics) || e.topics.length === 0) throw new ConfigError(`${where}.topics must be a non-empty array of topics (or left out for all)`);
      for (const t of e.topics) if (!isTopic(t)) throw new ConfigError(`${where}.topics: "${String(t)}" is not one of ${TOPICS.join(', ')}`);
      topics = e.topics as Topic[];
    }
    return { name: e.name, sha256: Buffer.from(e.sha256, 'hex'), topics: new Set(topics) };
  });
}

/** The entries of CS_INGEST_API_KEYS or CS_INGEST_API_KEYS_FILE (not both); empty when neither is set. */
export function loadApiKeys(env: Record<string, string | undefined>): ApiKeyEntry[] {
  const inline = env.CS_INGEST_API_KEYS?.trim();
  const file = env.CS_INGEST_API_KEYS_FILE?.trim();
  if (inline && file) throw new ConfigError('set CS_INGEST_API_KEYS or CS_INGEST_API_KEYS_FILE, not both');
  if (inline) return parseApiKeys(inline, 'CS_INGEST_API_KEYS');
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`CS_INGEST_API_KEYS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseApiKeys(text, file);
}

/** The entry of a presented key, or undefined. Compares with every entry, in constant time each. */
export function findApiKey(entries: readonly ApiKeyEntry[], presented: string): ApiKeyEntry | undefined {
  const hash = hashApiKey(presented);
  let found: ApiKeyEntry | undefined;
  for (const e of entries) if (timingSafeEqual(hash, e.sha256) && !found) found = e;
  return found;
}

/** The key of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}
