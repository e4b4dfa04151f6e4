/** A one-line progress bar on stderr (a plain line per update when stderr is not a terminal). */
export function progressBar(total: number, label = '') {
  const started = Date.now();
  let last = 0;
  const tty = process.stderr.isTTY;
  const render = (done: number, extra: string, force = false) => {
    const now = Date.now();
    if (!force && now - last < (tty ? 200 : 2000)) return;
    last = now;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const bar = '#'.repeat(Math.round(ratio * width)).padEnd(width, '-');
    const line = `${label}[${bar}] ${(ratio * 100).toFixed(1).padStart(5)}% ${extra} ${((now - started) / 1000).toFixed(1)}s`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
  return {
    update: (done: number, extra: string) => render(done, extra),
    finish: (done: number, extra: string) => {
      render(done, extra, true);
      if (tty) process.stderr.write('\n');
    },
  };
}
