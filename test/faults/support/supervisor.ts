/**
 * A processor member kept running as compose's `restart: unless-stopped` keeps it: when it exits
 * (a processor whose flush failed exits so that its supervisor restarts it), it is started again
 * after a short delay, until the test stops it.
 */
import { readFileSync } from 'node:fs';
import { stopChild } from '../../support/child.ts';
import type { Fleet, Member } from './fleet.ts';

/** Docker restarts a failed container after 100 ms, doubling; a fixed second is close enough here. */
const RESTART_DELAY_MS = 1_000;

/** A process's error and fatal log lines (pino levels 50, 60) and its shutdown lines, the first 20. */
const errorLines = (output: string) =>
  output
    .split('\n')
    .filter((l) => /"level":[56]0|shutdown/.test(l))
    .slice(0, 20)
    .join('\n');

export class Supervised {
  /** Exits seen (and restarts made) so far, with each exit code. */
  readonly exits: (number | null)[] = [];
  /** What the first process to exit logged at error level (why it exited), null while none has. */
  firstExit: string | null = null;
  private stopping = false;
  private constructor(
    private readonly fleet: Fleet,
    readonly name: string,
    private readonly extra: Record<string, string>,
    private readonly clickhouseUrl: string | undefined,
    public member: Member,
  ) {}

  static async start(fleet: Fleet, name: string, extra: Record<string, string> = {}, clickhouseUrl?: string): Promise<Supervised> {
    const s = new Supervised(fleet, name, extra, clickhouseUrl, await fleet.add(name, extra, clickhouseUrl));
    s.watch();
    return s;
  }

  private watch(): void {
    const member = this.member;
    void member.child.exited.then(async (code) => {
      if (this.stopping) return;
      this.exits.push(code);
      if (this.firstExit === null) this.firstExit = `${member.name} exited ${code}:\n${errorLines(member.child.output())}`;
      await new Promise((r) => setTimeout(r, RESTART_DELAY_MS));
      if (this.stopping) return;
      this.member = await this.fleet.add(`${this.name}#${this.exits.length}`, this.extra, this.clickhouseUrl);
      this.watch();
    });
  }

  /** Resident memory of the running process in bytes (/proc/<pid>/status VmRSS), null between restarts. */
  rss(): number | null {
    const { proc } = this.member.child;
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return null;
    try {
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      return kb ? Number(kb[1]) * 1024 : null;
    } catch {
      return null;
    }
  }

  /** A clean stop (SIGTERM, exit 0 within a minute) of the running process; no restart after it. */
  async stop(): Promise<void> {
    this.stopping = true;
    const { child } = this.member;
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    await stopChild(child, this.member.name, { clean: true });
  }
}
