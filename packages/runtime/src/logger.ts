import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs (pino). LOG_LEVEL sets the level; `silent` in tests. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } }, pino.destination({ dest: process.env.LOG_FILE ?? 2, sync: false, mkdir: true }));
}
