import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface ServiceHttpOptions {
  host?: string;
  port: number;
  /** Readiness: true once the service can do its job (connected, state restored). */
  ready: () => boolean;
  /** Extra routes, keyed by "METHOD /path"; "METHOD /prefix/*" matches one more path segment. */
  routes?: Record<string, Handler>;
}

export interface ServiceHttp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Health (`/healthz`), readiness (`/readyz`) and Prometheus (`/metrics`) on every service, plus its own routes. */
export async function startServiceHttp(opts: ServiceHttpOptions): Promise<ServiceHttp> {
  const routes: Record<string, Handler> = {
    'GET /healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    'GET /readyz': (_req, res) => sendJson(res, opts.ready() ? 200 : 503, { ready: opts.ready() }),
    'GET /metrics': async (_req, res) => {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    },
    ...opts.routes,
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parent = url.pathname.slice(0, url.pathname.lastIndexOf('/'));
    const handler = routes[`${req.method} ${url.pathname}`] ?? routes[`${req.method} ${parent}/*`];
    if (!handler) return sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    Promise.resolve(handler(req, res, url)).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: err.message });
      else res.destroy(err);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Reads a request body, rejecting with status 413 past `limitBytes`. The rest of an oversize body
 * is drained, not cut, so the client still receives the 413 answer.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = () => Object.assign(new Error(`body larger than ${limitBytes} bytes`), { status: 413 });
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limitBytes) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limitBytes) {
        over = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
