/**
 * A progress bar on stderr (cli-progress): redrawn in place on a terminal, a plain line every 2 s
 * when stderr is a file or a pipe (CI logs, `2> replay.log`).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, status: string): void;
  finish(done: number, status: string): void;
}

export function progressBar(total: number, label: string, unit: string): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {status} | {duration_formatted}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: '' });
  return {
    update: (done, status) => bar.update(done, { status }),
    finish: (done, status) => {
      bar.update(done, { status });
      bar.stop();
    },
  };
}
