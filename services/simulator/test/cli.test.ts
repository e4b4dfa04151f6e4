import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseEvent, type Topic } from '@cs/schemas';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tsx = (args: string[]) => run(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' } });
const TWO_DAYS = ['--mode', 'history', '--start', '2025-01-06', '--days', '2', '--tz', 'Asia/Shanghai', '--contacts-per-day', '3000', '--seed', '9'];

describe('simulate CLI', () => {
  it('history --out writes JSONL that replay can read: {"topic":…, …event fields}', async () => {
    const out = join(dir, 'day.jsonl');
    const { stderr } = await tsx([...TWO_DAYS, '--out', out]);
    expect(stderr).toMatch(/done/);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(30_000);
    const first = Date.UTC(2025, 0, 5, 16); // 2025-01-06 00:00 Asia/Shanghai
    let prev = 0;
    for (const line of lines) {
      const { topic, ...event } = JSON.parse(line) as { topic: Topic; event_time: number };
      const r = parseEvent(topic, event);
      if (!r.ok) throw new Error(`${line}: ${JSON.stringify(r.issues)}`);
      expect(event.event_time).toBeGreaterThanOrEqual(Math.max(prev, first));
      prev = event.event_time;
    }
    expect(prev).toBeLessThan(first + 2 * 86_400_000);
    // Deterministic: the same flags give the same file.
    const again = join(dir, 'again.jsonl');
    await tsx([...TWO_DAYS, '--out', again]);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(out, 'utf8'));
  });

  it('--help prints usage; a bad flag exits 2 with the reason', async () => {
    const { stdout } = await tsx(['--help']);
    expect(stdout).toMatch(/--mode live\|history/);
    await expect(tsx(['--mode', 'nope'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--mode must be live or history/) });
    await expect(tsx(['--tz', 'Mars/Base'])).rejects.toMatchObject({ code: 2 });
    await expect(tsx(['--mode', 'history', '--start', '2099-01-01', '--out', join(dir, 'x.jsonl')])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/not in the past/) });
  });
});
