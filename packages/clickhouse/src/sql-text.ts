// Just enough SQL lexing to read a query's shape without running it.

/** `sql` with the insides of string literals, quoted identifiers and comments blanked (same length). */
export function maskSql(sql: string): string {
  const out = sql.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to && k < out.length; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      blank(i + 1, j);
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const j = end === -1 ? sql.length : end;
      blank(i, j);
      i = j;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < sql.length && depth > 0) {
        const pair = sql.slice(j, j + 2);
        if (pair === '/*' || pair === '*/') {
          depth += pair === '/*' ? 1 : -1;
          j += 2;
        } else {
          j++;
        }
      }
      blank(i, j);
      i = j;
    } else {
      i++;
    }
  }
  return out.join('');
}

/** The output format named by a trailing `FORMAT x` clause (optionally followed by SETTINGS), if any. */
export function formatClause(sql: string): string | undefined {
  const masked = maskSql(sql);
  const m = /\bFORMAT\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:\bSETTINGS\b[^;]*)?[\s;]*$/i.exec(masked);
  if (!m) return undefined;
  const start = m.index + m[0].indexOf(m[1]!, 'FORMAT'.length);
  return sql.slice(start, start + m[1]!.length);
}

/** True when `sql` holds more than one statement (trailing semicolons do not count). */
export function isMultiStatement(sql: string): boolean {
  return maskSql(sql).replace(/[\s;]+$/, '').includes(';');
}
