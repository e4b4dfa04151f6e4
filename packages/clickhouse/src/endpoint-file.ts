// `<repo>/.stack/sql-endpoint.json`: where a running pipeline serves read-only SQL.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stackDir } from './config.ts';
import { pidAlive } from './pid.ts';

export interface EndpointInfo {
  /** e.g. http://127.0.0.1:8124 */
  url: string;
  /** The process serving it. */
  pid: number;
  /** The embedded store it serves (absent in server mode). */
  dataDir?: string;
  database?: string;
}

/** CS_SQL_ENDPOINT_FILE, else `<repo>/.stack/sql-endpoint.json`. */
export function defaultEndpointFile(env: Record<string, string | undefined> = process.env): string {
  return env.CS_SQL_ENDPOINT_FILE || join(stackDir(), 'sql-endpoint.json');
}


/** Writes the file atomically (temp file + rename). `pid` defaults to this process. */
export function writeEndpointFile(info: Omit<EndpointInfo, 'pid'> & { pid?: number }, file = defaultEndpointFile()): EndpointInfo {
  const full: EndpointInfo = { ...info, pid: info.pid ?? process.pid };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(full, null, 2)}\n`);
  renameSync(tmp, file);
  return full;
}

/** The advertised endpoint if the file exists, parses, and its process is alive; else undefined. */
export function readEndpointFile(file = defaultEndpointFile()): EndpointInfo | undefined {
  let info: Partial<EndpointInfo>;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as Partial<EndpointInfo>;
  } catch {
    return undefined;
  }
  if (typeof info.url !== 'string' || typeof info.pid !== 'number' || !Number.isInteger(info.pid)) return undefined;
  if (!pidAlive(info.pid)) return undefined;
  return info as EndpointInfo;
}

/** Removes the file if it still names `pid` (default: this process), so a newer owner's file survives. */
export function removeEndpointFile(file = defaultEndpointFile(), pid = process.pid): void {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as Partial<EndpointInfo>;
    if (info.pid === pid) rmSync(file, { force: true });
  } catch {
    // already gone or unreadable
  }
}
