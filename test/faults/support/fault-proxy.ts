/**
 * A TCP fault proxy between processors and the store's HTTP interface: CLICKHOUSE_URL points at it,
 * and the test switches what the "network" and the "server" do, as a ClickHouse outage would:
 *   pass     bytes go through untouched
 *   down     nothing listens (ECONNREFUSED) and open connections are cut
 *   latency  each response is held `ms` before it is passed on
 *   hang     a request is accepted and never answered (its connection cut only when the mode changes)
 *   reset    every `every`-th request whose head matches `match` is forwarded, and once the store
 *            has started its response (for an insert with wait_end_of_query: the rows landed) the
 *            client's connection is reset: the client cannot tell whether it landed
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type ProxyMode = { kind: 'pass' } | { kind: 'down' } | { kind: 'latency'; ms: number } | { kind: 'hang' } | { kind: 'reset'; match: RegExp; every: number };

export interface ProxyCounts {
  connections: number;
  requests: number;
  /** Requests held unanswered (hang). */
  hung: number;
  /** Connections reset after the store answered (reset). */
  resets: number;
}

/** A request head: an HTTP method at the start of a chunk from the client. */
const REQUEST_HEAD = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS) /;

export class FaultProxy {
  private mode: ProxyMode = { kind: 'pass' };
  private server: Server | null = null;
  private readonly open = new Set<Socket>();
  /** Requests of the current reset mode that matched (every `every`-th one is reset). */
  private matched = 0;
  readonly counts: ProxyCounts = { connections: 0, requests: 0, hung: 0, resets: 0 };

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  /** A proxy on a free port of 127.0.0.1 in front of `targetUrl` (an http:// URL), in pass mode. */
  static async start(targetUrl: string): Promise<FaultProxy> {
    const target = new URL(targetUrl);
    const proxy = new FaultProxy({ host: target.hostname, port: Number(target.port) }, 0);
    const port = await proxy.listen(0);
    return Object.assign(proxy, { port });
  }

  /** The URL to give as CLICKHOUSE_URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get current(): ProxyMode {
    return this.mode;
  }

  /** Switches the fault: open connections are cut when going down or leaving a hang (as a restarted server would). */
  async set(mode: ProxyMode): Promise<void> {
    const previous = this.mode;
    this.mode = mode;
    this.matched = 0;
    if (mode.kind === 'down') {
      await this.close();
    } else {
      if (previous.kind === 'hang') this.cutAll();
      if (!this.server) await this.listen(this.port);
    }
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.cutAll();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private cutAll(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  private listen(port: number): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  }

  private track(socket: Socket): void {
    this.open.add(socket);
    socket.on('close', () => this.open.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private accept(client: Socket): void {
    this.counts.connections++;
    const upstream = connect(this.target.port, this.target.host);
    this.track(client);
    this.track(upstream);
    const both = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', both);
    upstream.on('close', both);
    let hung = false;
    let resetOnAnswer = false;
    /** A request went out and its response has not started: latency delays that first chunk. */
    let awaitingAnswer = false;
    // Responses keep their order under latency: each chunk waits for the one before it.
    let sending: Promise<void> = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      if (hung) return;
      const head = REQUEST_HEAD.test(chunk.subarray(0, 8).toString('latin1'));
      if (head) {
        this.counts.requests++;
        awaitingAnswer = true;
        const mode = this.mode;
        if (mode.kind === 'hang') {
          hung = true;
          this.counts.hung++;
          return;
        }
        if (mode.kind === 'reset' && mode.match.test(chunk.subarray(0, 4096).toString('latin1').split('\r\n')[0]!)) {
          resetOnAnswer = ++this.matched % mode.every === 0;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (resetOnAnswer) {
        // The store answered, so the insert is in; the client only sees its connection reset.
        resetOnAnswer = false;
        this.counts.resets++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      const mode = this.mode;
      const delay = mode.kind === 'latency' && awaitingAnswer ? mode.ms : 0;
      awaitingAnswer = false;
      if (delay) upstream.pause();
      sending = sending
        .then(() => (delay ? new Promise<void>((r) => setTimeout(r, delay)) : undefined))
        .then(() => {
          if (!client.destroyed) client.write(chunk);
          if (delay) upstream.resume();
        });
    });
  }
}
