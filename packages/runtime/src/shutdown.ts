import type { Logger } from 'pino';

type Step = { name: string; run: () => Promise<void> };

/**
 * Graceful shutdown: steps run in reverse order of registration (last started, first stopped)
 * on SIGINT/SIGTERM, so producers drain before the sinks they feed are closed.
 *
 * A signal that arrives while the service is still starting (see `startup`) waits for the start
 * to settle first: stopping half-started work would close a store under a consumer that is
 * about to use it.
 */
export function gracefulShutdown(log: Logger, timeoutMs = 30_000) {
  const steps: Step[] = [];
  const startups: Promise<unknown>[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'shutting down');
      const timer = setTimeout(() => {
        log.error({ timeoutMs }, 'shutdown timed out');
        process.exit(1);
      }, timeoutMs);
      timer.unref();
      if (startups.length) {
        log.info('waiting for the start to finish before stopping');
        await Promise.allSettled(startups);
      }
      for (const step of [...steps].reverse()) {
        try {
          await step.run();
          log.info({ step: step.name }, 'stopped');
        } catch (err) {
          log.error({ err, step: step.name }, 'error while stopping');
        }
      }
      clearTimeout(timer);
    })();
    return stopping;
  };
  return {
    add(name: string, run: () => Promise<void>) {
      steps.push({ name, run });
    },
    /** Runs a service's start; a stop requested meanwhile runs once it has settled. */
    startup<T>(start: () => Promise<T>): Promise<T> {
      const started = start();
      startups.push(started);
      void started.finally(() => startups.splice(startups.indexOf(started), 1)).catch(() => {});
      return started;
    },
    stop,
    /** Installs the signal handlers; the process exits once every step has stopped. */
    onSignals() {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.once(sig, () => void stop(sig).then(() => process.exit(0)));
      }
    },
  };
}
