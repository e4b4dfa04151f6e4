// Avro Parsing Canonical Form and the CRC-64-AVRO (Rabin) fingerprint, per the Avro spec
// ("Schema Fingerprints"). avsc only offers MD5/SHA fingerprints, and single-object encoding
// needs the 64-bit Rabin one. Runs once per schema at load time, so BigInt is fast enough.

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

/** The Parsing Canonical Form of a schema given as parsed JSON (e.g. 'int' or a record object). */
export function canonicalForm(schema: unknown): string {
  return pcf(schema, '', new Set());
}

function fullName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(fullname: string): string {
  const i = fullname.lastIndexOf('.');
  return i < 0 ? '' : fullname.slice(0, i);
}

function pcf(s: unknown, ns: string, seen: Set<string>): string {
  if (typeof s === 'string') {
    // [PRIMITIVES] stay as is; [FULLNAMES] references to named types become full names.
    return JSON.stringify(PRIMITIVES.has(s) ? s : fullName(s, ns));
  }
  if (Array.isArray(s)) return `[${s.map((b) => pcf(b, ns, seen)).join(',')}]`;
  if (s === null || typeof s !== 'object') throw new Error(`invalid schema node: ${JSON.stringify(s)}`);

  const o = s as Record<string, unknown>;
  const type = o['type'];
  // {"type": <schema>} wrappers and primitives with attributes (e.g. logicalType) collapse.
  if (typeof type !== 'string' || PRIMITIVES.has(type) || (!NAMED.has(type) && type !== 'array' && type !== 'map')) {
    return pcf(type, ns, seen);
  }
  if (type === 'array') return `{"type":"array","items":${pcf(o['items'], ns, seen)}}`;
  if (type === 'map') return `{"type":"map","values":${pcf(o['values'], ns, seen)}}`;

  const rawNs = typeof o['namespace'] === 'string' ? (o['namespace'] as string) : ns;
  const name = fullName(String(o['name']), rawNs);
  // A named type written out once; later occurrences are references by full name.
  if (seen.has(name)) return JSON.stringify(name);
  seen.add(name);
  const inner = namespaceOf(name);
  // [STRIP] + [ORDER]: only name, type, fields, symbols, items, values, size, in that order.
  let out = `{"name":${JSON.stringify(name)},"type":${JSON.stringify(type)}`;
  if (type === 'record' || type === 'error') {
    const fields = (o['fields'] as Array<Record<string, unknown>>).map(
      (f) => `{"name":${JSON.stringify(f['name'])},"type":${pcf(f['type'], inner, seen)}}`,
    );
    out += `,"fields":[${fields.join(',')}]`;
  } else if (type === 'enum') {
    out += `,"symbols":${JSON.stringify(o['symbols'])}`;
  } else {
    out += `,"size":${Number(o['size'])}`;
  }
  return `${out}}`;
}

const EMPTY = 0xc15d213aa4d7a795n;
const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (fp & 1n ? EMPTY : 0n);
  return fp;
});

/** CRC-64-AVRO of some bytes (normally a canonical form), as an unsigned 64-bit bigint. */
export function rabin64(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(b)) & 0xffn)] as bigint);
  return fp;
}

/** Fingerprint of a schema: rabin64 of the UTF-8 bytes of its Parsing Canonical Form. */
export function schemaFingerprint(schema: unknown): bigint {
  return rabin64(Buffer.from(canonicalForm(schema), 'utf8'));
}

/** The 8 little-endian bytes used after 0xC3 0x01 in single-object encoding. */
export function fingerprintBytes(fp: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(fp);
  return b;
}
