// Flat field descriptors derived from a record schema, so JSON validation and the semantic
// rules follow the .avsc files instead of a second hand-kept field list.
import type { RecordSchema } from './catalog.ts';

export type FieldKind = 'string' | 'int' | 'long' | 'float' | 'double' | 'boolean' | 'enum';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** A ["null", X] union: may be null, and may be omitted in JSON input. */
  nullable: boolean;
  /** Enum symbols (kind 'enum' only). */
  symbols: readonly string[];
  /** long with logicalType timestamp-millis: JSON input may also give an ISO-8601 string. */
  timestampMillis: boolean;
}

const KINDS = new Set<string>(['string', 'int', 'long', 'float', 'double', 'boolean']);

/** Field descriptors of a flat record; throws for field types the validators do not handle. */
export function fieldSpecs(schema: RecordSchema): FieldSpec[] {
  // Enums defined in an earlier field may be referenced later by (short or full) name.
  const enums = new Map<string, string[]>();
  return schema.fields.map((f) => {
    let t: unknown = f.type;
    let nullable = false;
    if (Array.isArray(t)) {
      const branches = t.filter((b) => b !== 'null');
      if (t.length !== 2 || branches.length !== 1 || t[0] !== 'null') {
        throw new Error(`${schema.name}.${f.name}: only ["null", X] unions are supported`);
      }
      nullable = true;
      t = branches[0];
    }
    const spec = describe(t, `${schema.name}.${f.name}`, enums, schema.namespace ?? '');
    return { name: f.name, nullable, ...spec };
  });
}

function describe(
  t: unknown,
  where: string,
  enums: Map<string, string[]>,
  namespace: string,
): Omit<FieldSpec, 'name' | 'nullable'> {
  if (typeof t === 'string' && KINDS.has(t)) {
    return { kind: t as FieldKind, symbols: [], timestampMillis: false };
  }
  const named = typeof t === 'string' ? (enums.get(t) ?? enums.get(`${namespace}.${t}`)) : undefined;
  if (named) return { kind: 'enum', symbols: named, timestampMillis: false };
  if (t !== null && typeof t === 'object') {
    const o = t as { type?: unknown; name?: unknown; namespace?: unknown; symbols?: unknown; logicalType?: unknown };
    if (o.type === 'enum' && Array.isArray(o.symbols)) {
      const symbols = o.symbols as string[];
      const name = String(o.name);
      const ns = typeof o.namespace === 'string' ? o.namespace : namespace;
      enums.set(name, symbols);
      if (!name.includes('.') && ns !== '') enums.set(`${ns}.${name}`, symbols);
      return { kind: 'enum', symbols, timestampMillis: false };
    }
    if (typeof o.type === 'string' && KINDS.has(o.type)) {
      return {
        kind: o.type as FieldKind,
        symbols: [],
        timestampMillis: o.type === 'long' && o.logicalType === 'timestamp-millis',
      };
    }
  }
  throw new Error(`${where}: unsupported field type ${JSON.stringify(t)}`);
}
