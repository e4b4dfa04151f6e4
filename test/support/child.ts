/** Runs a service entry point (TypeScript via tsx) as a child process the test can SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

export interface Child {
  proc: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

export function startChild(entry: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', tsx, `${root}/${entry}`], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, exited, output: () => out };
}

/** Reads the SQL endpoint file a child wrote (CS_SQL_ENDPOINT_FILE). */
export function endpointUrl(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { url: string }).url;
}

/** Runs a read-only query against a child's SQL endpoint. */
export async function sqlRows<T>(url: string, sql: string): Promise<T[]> {
  const res = await fetch(`${url}/?default_format=JSONEachRow`, { method: 'POST', body: sql });
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status}: ${text}`);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
