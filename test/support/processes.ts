/**
 * Processes a test file starts (children, served stores) are killed when the file is done, by the
 * integration project's setup file, and when the test process exits. A test that times out never
 * reaches its `finally`, and a vitest worker stopped with a signal runs no 'exit' handler, so the
 * setup file's afterAll is what keeps them from outliving the run.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

export function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
}

export function killTracked(): void {
  for (const proc of live) proc.kill('SIGKILL');
  live.clear();
}

process.once('exit', killTracked);
