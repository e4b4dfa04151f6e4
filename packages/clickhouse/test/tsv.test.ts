import { describe, expect, it } from 'vitest';
import { encodeTsv, TsvBuffer, tsvValue } from '../src/tsv.ts';

describe('TabSeparated encoding', () => {
  it('escapes what TabSeparated escapes, and writes nulls, booleans and non-finite numbers as ClickHouse reads them', () => {
    expect(tsvValue('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(tsvValue(null)).toBe('\\N');
    expect(tsvValue(undefined)).toBe('\\N');
    expect([tsvValue(true), tsvValue(false)]).toEqual(['true', 'false']);
    expect([tsvValue(1.5), tsvValue(1e-7), tsvValue(Number.NaN), tsvValue(-Infinity)]).toEqual(['1.5', '1e-7', 'nan', '-inf']);
    expect(tsvValue(['b', "q'uote\t"])).toBe("['b','q\\'uote\\t']");
  });

  it('writes the columns in the given order, one line per row', () => {
    expect(encodeTsv([{ b: 2, a: 'x' }, { a: 'y', b: null }], ['a', 'b'])).toBe('x\t2\ny\t\\N\n');
  });

  it('writes lines into a growing byte buffer, UTF-8 included', () => {
    const body = new TsvBuffer(4);
    const rows = [{ a: 'x', b: 1 }, { a: '上海\t', b: null }, { a: 'y'.repeat(100), b: 2.5 }];
    for (const row of rows) body.row(row, ['a', 'b']);
    expect(body.rows).toBe(3);
    expect(body.bytes.toString('utf8')).toBe(encodeTsv(rows, ['a', 'b']));
  });

  it('writes a last cell of plain ASCII as it is, after cells that are escaped and UTF-8', () => {
    const body = new TsvBuffer(4);
    body.row({ a: 'x' }, ['a']);
    const cell = Buffer.from('any bytes\t\n at all').toString('base64').repeat(50);
    body.cells({ a: '上海\t', b: 7 }, ['a', 'b']);
    body.plainCell(cell);
    body.endRow();
    expect(body.rows).toBe(2);
    expect(body.bytes.toString('utf8')).toBe(`x\n上海\\t\t7\t${cell}\n`);
  });

  it('writes cell by cell exactly what the line encoder writes, for every kind of value', () => {
    const values = [
      'plain', '', 'tab\there', 'new\nline', 'back\\slash', 'cr\r', '上海 ünïcode', 'ü\t', 'x'.repeat(64) + '\t', 'y'.repeat(65), '🙂'.repeat(40),
      0, 7, 10, 99, 100, 1793000000000, 2 ** 53 - 1, -1, 1.5, 1e21, 1e-7, Number.NaN, Infinity, -Infinity, 2 ** 53, null, undefined, true, false, 12345678901234567890n,
      ['a', "q'uote\t", null, 1], { nested: 'obj\n' },
    ];
    const columns = values.map((_, i) => `c${i}`);
    const row = Object.fromEntries(values.map((v, i) => [`c${i}`, v]));
    const body = new TsvBuffer(8);
    body.row(row, columns);
    body.cells({ a: 'x\ty' }, ['a']);
    body.cell(7);
    body.cell('上海');
    body.endRow();
    expect(body.rows).toBe(2);
    expect(body.bytes.toString('utf8')).toBe(`${encodeTsv([row], columns)}x\\ty\t7\t上海\n`);
  });
});
