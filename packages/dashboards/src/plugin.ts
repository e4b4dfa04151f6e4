/**
 * What the Grafana ClickHouse data source (grafana-clickhouse-datasource 4.x) does to a panel's SQL
 * before ClickHouse sees it, reproduced for tests:
 *
 * 1. frontend, `applyConditionalAll`: each `$__conditionalAll(cond, $var)`, from the last one
 *    back, becomes `1=1` when the variable's current value is "All" (or empty), else `cond`;
 * 2. frontend, Grafana's template service: `$var`, `${var}`, `${var:format}` are replaced. "All"
 *    without a custom all value expands to every option; the `singlequote` format gives
 *    'a','b' (quotes escaped as \'), and without a format the plugin joins arrays as 'a','b';
 * 3. backend, the plugin SDK's macro interpolation (sqlutil.Interpolate with the plugin's macros):
 *    the scanner takes the first "(" after a macro name as its argument list, and
 *    $__timeFilter(c)    → c >= toDateTime(<from s>) AND c <= toDateTime(<to s>)
 *    $__fromTime         → toDateTime(<from s>), $__toTime → toDateTime(<to s>)
 *    $__interval_s       → max(interval seconds, 1)
 *    $__timeInterval(c)  → toStartOfInterval(toDateTime(c), INTERVAL <interval s> second)
 *    and the SDK's defaults $__timeFrom(c), $__timeTo(c) (RFC 3339 strings).
 */

export interface VariableValue {
  /** "All" selected: the variable's value is `$__all`. */
  all: boolean;
  /** The selected values, or every option when `all`. */
  values: readonly string[];
}

export interface QueryContext {
  /** Time range, epoch ms. */
  from: number;
  to: number;
  /** Panel interval (Grafana's $__interval), ms. */
  intervalMs: number;
  variables: Readonly<Record<string, VariableValue>>;
}

/** Arguments of the macro call whose "(" is at `open` (the plugin frontend's getMacroArgs). */
function macroArgs(query: string, open: number): string[] | undefined {
  const args: string[] = [];
  const re = /\(|\)|,/g;
  let depth = 0;
  let last = 1;
  const sub = query.substring(open);
  let m: RegExpExecArray | null;
  while ((m = re.exec(sub)) !== null) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    if (m[0] === ',' && depth === 1) {
      args.push(sub.substring(last, re.lastIndex - 1));
      last = re.lastIndex;
    }
    if (depth === 0) {
      args.push(sub.substring(last, re.lastIndex - 1));
      return args;
    }
  }
  return undefined;
}

export function applyConditionalAll(query: string, variables: Readonly<Record<string, VariableValue>>): string {
  const macro = '$__conditionalAll(';
  let at = query.lastIndexOf(macro);
  while (at !== -1) {
    const params = macroArgs(query, at + macro.length - 1);
    if (!params || params.length !== 2) return query;
    const name = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(params[1]!.trim());
    let phrase = params[0]!;
    if (name) {
      const v = variables[name[0]];
      const current = v ? (v.all ? '$__all' : v.values.join(',')) : undefined;
      if (current === '' || current === '$__all') phrase = '1=1';
    }
    query = query.replace(`${macro}${params[0]},${params[1]})`, phrase);
    at = query.lastIndexOf(macro);
  }
  return query;
}

const singleQuote = (values: readonly string[]) => values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');

/** Grafana's template service with the plugin's default formatter. */
export function replaceVariables(query: string, variables: Readonly<Record<string, VariableValue>>): string {
  const re = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;
  return query.replace(re, (match, bare?: string, bracket?: string, bracketFmt?: string, braced?: string, _path?: string, fmt?: string) => {
    const name = bare ?? bracket ?? braced!;
    const v = variables[name];
    if (!v) return match;
    const format = fmt ?? bracketFmt;
    if (format === undefined) return v.values.length === 1 && !v.all ? v.values[0]! : `'${v.values.join("','")}'`;
    if (format === 'singlequote') return singleQuote(v.values);
    if (format === 'raw') return v.values.join(',');
    throw new Error(`variable format ${format} is not emulated`);
  });
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const intervalSeconds = (c: QueryContext) => Math.max(seconds(c.intervalMs), 1);
const rfc3339 = (ms: number) => new Date(seconds(ms) * 1000).toISOString().replace('.000Z', 'Z');

type Macro = (args: string[], ctx: QueryContext) => string;
const need = (name: string, n: number, args: string[]) => {
  if (args.length !== n) throw new Error(`$__${name}: expected ${n} argument(s), received ${args.length}`);
};
export const MACROS: Readonly<Record<string, Macro>> = {
  fromTime: (_, c) => `toDateTime(${seconds(c.from)})`,
  toTime: (_, c) => `toDateTime(${seconds(c.to)})`,
  fromTime_ms: (_, c) => `fromUnixTimestamp64Milli(${c.from})`,
  toTime_ms: (_, c) => `fromUnixTimestamp64Milli(${c.to})`,
  timeFilter: (a, c) => (need('timeFilter', 1, a), `${a[0]} >= toDateTime(${seconds(c.from)}) AND ${a[0]} <= toDateTime(${seconds(c.to)})`),
  timeFilter_ms: (a, c) => (need('timeFilter_ms', 1, a), `${a[0]} >= fromUnixTimestamp64Milli(${c.from}) AND ${a[0]} <= fromUnixTimestamp64Milli(${c.to})`),
  timeInterval: (a, c) => (need('timeInterval', 1, a), `toStartOfInterval(toDateTime(${a[0]}), INTERVAL ${intervalSeconds(c)} second)`),
  interval_s: (_, c) => `${intervalSeconds(c)}`,
  timeFrom: (a, c) => (need('timeFrom', 1, a), `${a[0]} >= '${rfc3339(c.from)}'`),
  timeTo: (a, c) => (need('timeTo', 1, a), `${a[0]} <= '${rfc3339(c.to)}'`),
};

/** The SDK's macro matches: the macro text (with its argument list, if any) and its arguments. */
function macroMatches(input: string, name: string): { text: string; args: string }[] {
  const re = new RegExp(`\\$__${name}\\b`, 'g');
  const out: { text: string; args: string }[] = [];
  for (const m of input.matchAll(re)) {
    const start = m.index!;
    const rest = input.slice(start);
    let depth = 0;
    let argStart = 0;
    let end = 0;
    for (let i = 0; i < rest.length; i++) {
      if (depth === 0 && end > 0) break;
      const ch = rest[i];
      if (ch === '(') {
        depth++;
        if (argStart === 0) argStart = i + 1;
      } else if (ch === ')') {
        if (depth === 0) {
          end = 0;
          break;
        }
        depth--;
        end = i + 1;
      }
    }
    if (end === 0) end = m[0].length;
    out.push({ text: rest.slice(0, end), args: argStart > 0 ? rest.slice(argStart, end - 1) : '' });
  }
  return out;
}

/** Backend interpolation of the plugin's macros. */
export function interpolateMacros(sql: string, ctx: QueryContext): string {
  for (const [name, macro] of Object.entries(MACROS)) {
    for (const match of macroMatches(sql, name)) {
      // As the SDK does: an argument-less macro gets one empty argument.
      const args = match.args.split(',').map((s) => s.trim());
      sql = sql.split(match.text).join(macro(args, ctx));
    }
  }
  return sql;
}

/** The SQL ClickHouse receives for a panel query. */
export function expandQuery(sql: string, ctx: QueryContext): string {
  const expanded = interpolateMacros(replaceVariables(applyConditionalAll(sql, ctx.variables), ctx.variables), ctx);
  const left = /\$__\w+|\$\{\w+|\$[A-Za-z_]\w*/.exec(expanded);
  if (left) throw new Error(`unexpanded ${left[0]} in:\n${expanded}`);
  return expanded;
}
