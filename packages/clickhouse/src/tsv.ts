/**
 * Rows as ClickHouse TabSeparated text: the cheapest insert format the embedded engine (chdb takes
 * text formats only) and a server share — about twice JSONEachRow's rate on the embedded engine,
 * and no per-row keys to encode or parse.
 */

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const ESCAPED = /[\\\t\n\r]/g;

/** A UTF-16 code unit TabSeparated escapes: backslash, tab, newline, carriage return. */
const needsEscape = (c: number) => c === 92 || c === 9 || c === 10 || c === 13;

/** A string with TabSeparated's escapes; most need none, so scan before replacing. */
function escapeString(v: string): string {
  for (let i = 0; i < v.length; i++) if (needsEscape(v.charCodeAt(i))) return v.replace(ESCAPED, (m) => ESCAPES[m]!);
  return v;
}

/** One value: \N for null/undefined, `true`/`false`, numbers as JS prints them, strings escaped. */
export function tsvValue(v: unknown): string {
  if (typeof v === 'string') return escapeString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  // An Array cell is written as a ClickHouse literal whose strings use the same escapes: [1,'a\'b'].
  if (Array.isArray(v)) return `[${v.map(literal).join(',')}]`;
  return escapeString(JSON.stringify(v));
}

/** A value inside an Array cell: strings quoted, with TabSeparated's escapes plus the quote. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return `'${escapeString(v).replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(literal).join(',')}]`;
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : literal(JSON.stringify(v));
}

/** One row's values in `columns` order, without the newline. */
export function tsvLine(row: object, columns: readonly string[]): string {
  const r = row as Record<string, unknown>;
  let line = tsvValue(r[columns[0]!]);
  for (let c = 1; c < columns.length; c++) line += `\t${tsvValue(r[columns[c]!])}`;
  return line;
}

/** The rows' values in `columns` order, one line each, newline-terminated. */
export function encodeTsv(rows: readonly object[], columns: readonly string[]): string {
  let out = '';
  for (let i = 0; i < rows.length; i++) out += `${tsvLine(rows[i]!, columns)}\n`;
  return out;
}

const NEWLINE = 10;
const TAB = 9;

/**
 * An insert body of TabSeparated lines written straight into a growing byte buffer: no string for
 * the whole body, and the embedded engine reads the bytes as they are (no copy per insert).
 */
export class TsvBuffer {
  private buf: Buffer;
  private end = 0;
  /** Lines written. */
  rows = 0;

  constructor(initialBytes = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /**
   * One row's values in `columns` order, written cell by cell into the buffer: no line string per
   * row (a seed-scale day wrote tens of millions, most of the processor's allocations).
   */
  row(row: object, columns: readonly string[]): void {
    this.cells(row, columns);
    this.endRow();
  }

  /** A row's first cells, `columns` of `row`; more follow with cell(), then endRow(). */
  cells(row: object, columns: readonly string[]): void {
    const r = row as Record<string, unknown>;
    for (let c = 0; c < columns.length; c++) {
      if (c > 0) this.byte(TAB);
      this.value(r[columns[c]!]);
    }
  }

  /** One more cell of the row being written. */
  cell(value: unknown): void {
    this.byte(TAB);
    this.value(value);
  }

  /**
   * One more cell that is ASCII without TabSeparated's special characters (base64, say), written as
   * it is: a log row's cell of several megabytes is then neither scanned for escapes nor reserved
   * three times over.
   */
  plainCell(cell: string): void {
    this.reserve(cell.length + 1);
    this.buf[this.end++] = TAB;
    this.end += this.buf.write(cell, this.end, 'latin1');
  }

  endRow(): void {
    this.byte(NEWLINE);
    this.rows++;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.end++] = b;
  }

  /** A value as tsvValue writes it; strings escaped, the other types' text needs none. */
  private value(v: unknown): void {
    if (typeof v === 'string') this.text(v, true);
    else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) this.digits(v);
    else this.text(tsvValue(v), false);
  }

  /** A non-negative integer's decimal digits, as String(v) writes them, without the string. */
  private digits(v: number): void {
    let width = 1;
    for (let p = 10; p <= v; p *= 10) width++;
    this.reserve(width);
    let e = this.end + width;
    this.end = e;
    do {
      const q = Math.floor(v / 10);
      this.buf[--e] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
  }

  /**
   * Text as UTF-8, escaped when `escape`. Short ASCII text (ids, enums, numbers: nearly every cell)
   * is copied byte by byte, cheaper than a native write call; anything else takes Buffer.write.
   */
  private text(s: string, escape: boolean): void {
    const n = s.length;
    this.reserve(n * 3);
    if (n <= 64) {
      const buf = this.buf;
      let e = this.end;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 128 || (escape && needsEscape(c))) break;
        buf[e++] = c;
      }
      if (i === n) {
        this.end = e;
        return;
      }
    }
    this.end += this.buf.write(escape ? escapeString(s) : s, this.end, 'utf8');
  }

  /** Appends another body's lines (same columns, in the same order). */
  append(other: TsvBuffer): void {
    const bytes = other.bytes;
    this.reserve(bytes.length);
    this.end += bytes.copy(this.buf, this.end);
    this.rows += other.rows;
  }

  /** The body so far (a view, not a copy). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.end);
  }

  private reserve(bytes: number): void {
    if (this.end + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.end + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.end);
    this.buf = next;
  }
}
