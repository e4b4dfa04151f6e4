/**
 * A YAML writer for provisioning files, and a reader for exactly what it writes (used by the tests
 * to check that a written file means what the generator meant). Block mappings and sequences;
 * strings double-quoted (JSON escapes, valid YAML) or, when multi-line, literal blocks.
 */
export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const key = (k: string) => (PLAIN_KEY.test(k) ? k : JSON.stringify(k));

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`YAML: non-finite number ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

const isBlock = (v: Yaml) => typeof v === 'string' && v.includes('\n') && !/[\r\t]/.test(v) && !/ \n|\n$| $/.test(v) && !v.startsWith(' ');

function literal(v: string, indent: string): string {
  return `|-\n${v
    .split('\n')
    .map((line) => (line === '' ? '' : indent + line))
    .join('\n')}`;
}

function emit(v: Yaml, indent: string): string {
  if (Array.isArray(v)) {
    if (!v.length) return ' []';
    return v
      .map((item) => {
        if (item !== null && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length) {
          const body = emit(item, indent + '  ').replace(/^\n/, '').slice(indent.length + 2);
          return `\n${indent}- ${body}`;
        }
        return `\n${indent}-${inline(item, indent + '  ')}`;
      })
      .join('');
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length) return ' {}';
    return keys.map((k) => `\n${indent}${key(k)}:${inline(v[k]!, indent + '  ')}`).join('');
  }
  return inline(v, indent);
}

function inline(v: Yaml, indent: string): string {
  if (Array.isArray(v) || (v !== null && typeof v === 'object')) return emit(v, indent);
  if (isBlock(v)) return ` ${literal(v as string, indent)}`;
  return ` ${scalar(v)}`;
}

/** YAML text of a value (a mapping at the top), after a `#` comment header. */
export function toYaml(value: { [key: string]: Yaml }, header: readonly string[] = []): string {
  return `${header.map((h) => `# ${h}`.trimEnd()).join('\n')}${header.length ? '\n' : ''}${emit(value, '').replace(/^\n/, '')}\n`;
}

// ---- reader for the subset above ----

interface Line {
  indent: number;
  text: string;
  no: number;
}

export function parseYaml(text: string): Yaml {
  const raw = text.split('\n');
  const lines: Line[] = [];
  raw.forEach((l, i) => {
    if (/^\s*(#.*)?$/.test(l)) lines.push({ indent: -1, text: '', no: i });
    else lines.push({ indent: l.length - l.trimStart().length, text: l.trimStart(), no: i });
  });
  let pos = 0;
  const fail = (msg: string): never => {
    throw new Error(`YAML line ${(lines[pos]?.no ?? raw.length) + 1}: ${msg}`);
  };
  const skipBlank = () => {
    while (pos < lines.length && lines[pos]!.indent < 0) pos++;
  };
  const parseScalar = (s: string): Yaml => {
    if (s === 'null') return null;
    if (s === 'true') return true;
    if (s === 'false') return false;
    if (s === '[]') return [];
    if (s === '{}') return {};
    if (s.startsWith('"')) return JSON.parse(s) as string;
    if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) return Number(s);
    return fail(`unsupported scalar ${s}`);
  };
  // A literal block after "key: |-": the following lines indented more than `parentIndent`.
  const parseLiteral = (parentIndent: number): string => {
    const out: string[] = [];
    let blockIndent = -1;
    while (pos < lines.length) {
      const l = lines[pos]!;
      const rawLine = raw[l.no]!;
      if (l.indent >= 0 && l.indent <= parentIndent) break;
      if (l.indent >= 0 && blockIndent < 0) blockIndent = l.indent;
      out.push(l.indent < 0 ? '' : rawLine.slice(blockIndent));
      pos++;
    }
    while (out.length && out[out.length - 1] === '') out.pop();
    return out.join('\n');
  };
  const parseValue = (rest: string, indent: number): Yaml => {
    if (rest === '|-') return parseLiteral(indent);
    if (rest !== '') return parseScalar(rest);
    skipBlank();
    const next = lines[pos];
    if (!next || next.indent <= indent) return fail('missing value');
    return parseNode(next.indent);
  };
  const parseNode = (indent: number): Yaml => {
    skipBlank();
    const first = lines[pos]!;
    if (first.text.startsWith('- ') || first.text === '-') {
      const out: Yaml[] = [];
      for (;;) {
        skipBlank();
        const l = lines[pos];
        if (!l || l.indent !== indent || !(l.text.startsWith('- ') || l.text === '-')) break;
        const rest = l.text.slice(2);
        if (/^("[^"]*"|[A-Za-z_][A-Za-z0-9_]*):( |$)/.test(rest)) {
          // "- key: value": a mapping whose keys sit at indent + 2
          lines[pos] = { indent: indent + 2, text: rest, no: l.no };
          out.push(parseNode(indent + 2));
        } else {
          pos++;
          out.push(parseValue(rest, indent));
        }
      }
      return out;
    }
    const out: { [key: string]: Yaml } = {};
    for (;;) {
      skipBlank();
      const l = lines[pos];
      if (!l || l.indent !== indent) break;
      const m = /^("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/.exec(l.text);
      if (!m) return fail(`expected "key: value", got ${l.text}`);
      const k = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
      pos++;
      out[k] = parseValue(m[2] ?? '', indent);
    }
    return out;
  };
  skipBlank();
  const value = parseNode(0);
  skipBlank();
  if (pos < lines.length) fail('unexpected content');
  return value;
}
