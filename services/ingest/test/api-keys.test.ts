import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@cs/runtime';
import { findApiKey, hashApiKey, loadApiKeys, newApiKey, parseApiKeys, presentedKey } from '../src/api-keys.ts';

describe('ingest API keys', () => {
  it('makes random keys whose entry holds only their SHA-256', () => {
    const a = newApiKey('ivr', ['cs.calls']);
    const b = newApiKey('ivr');
    expect(a.key).not.toBe(b.key);
    expect(a.key).toMatch(/^csk_[A-Za-z0-9_-]{43}$/);
    expect(a.entry).toEqual({ name: 'ivr', sha256: hashApiKey(a.key).toString('hex'), topics: ['cs.calls'] });
    expect(JSON.stringify(a.entry)).not.toContain(a.key.slice(4));
  });

  it('finds the entry of a presented key, and nothing for another key', () => {
    const ivr = newApiKey('ivr', ['cs.sessions']);
    const crm = newApiKey('crm');
    const entries = parseApiKeys(JSON.stringify([ivr.entry, crm.entry]), 'test');
    expect(findApiKey(entries, ivr.key)?.name).toBe('ivr');
    expect([...findApiKey(entries, ivr.key)!.topics]).toEqual(['cs.sessions']);
    expect(findApiKey(entries, crm.key)?.topics.size).toBe(7);
    expect(findApiKey(entries, `${ivr.key}x`)).toBeUndefined();
    expect(findApiKey([], ivr.key)).toBeUndefined();
  });

  it('reads the key from Authorization: Bearer or X-API-Key', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': ' abc ' })).toBe('abc');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });

  it('refuses malformed entries with a message naming the variable and the entry', () => {
    const ok = newApiKey('ok').entry;
    const cases: [string, RegExp][] = [
      ['not json', /^CS_INGEST_API_KEYS: not valid JSON/],
      ['{}', /expected a JSON array/],
      [JSON.stringify([{ ...ok, sha256: 'abc' }]), /CS_INGEST_API_KEYS\[0\]\.sha256 must be the 64 hex digits/],
      [JSON.stringify([{ ...ok, name: 'a b' }]), /\[0\]\.name must be/],
      [JSON.stringify([ok, ok]), /\[1\]\.name "ok" is used twice/],
      [JSON.stringify([{ ...ok, topics: ['cs.nope'] }]), /\[0\]\.topics: "cs\.nope" is not one of/],
      [JSON.stringify([{ ...ok, topics: [] }]), /\[0\]\.topics must be a non-empty array/],
    ];
    for (const [text, message] of cases) expect(() => loadApiKeys({ CS_INGEST_API_KEYS: text }), text).toThrow(message);
    expect(() => loadApiKeys({ CS_INGEST_API_KEYS: '[]', CS_INGEST_API_KEYS_FILE: '/x' })).toThrow(ConfigError);
  });

  it('loads the entries from CS_INGEST_API_KEYS_FILE; none when nothing is set', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cs-keys-')), 'keys.json');
    const { key, entry } = newApiKey('survey-tool');
    writeFileSync(file, JSON.stringify([entry]));
    expect(findApiKey(loadApiKeys({ CS_INGEST_API_KEYS_FILE: file }), key)?.name).toBe('survey-tool');
    expect(() => loadApiKeys({ CS_INGEST_API_KEYS_FILE: `${file}.missing` })).toThrow(/cannot read .*ENOENT/);
    expect(loadApiKeys({})).toEqual([]);
  });
});
