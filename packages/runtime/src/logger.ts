import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Fields that hold secrets, at any of the first three levels of a log object: a logged config,
 * client options or request headers never print a password (censored as "[redacted]"). The code
 * does not log secrets in the first place (test/integration/secrets.test.ts greps the services'
 * logs); this is the safety net.
 */
const SECRET_FIELDS = ['password', 'passwd', 'secret', 'token', 'authorization', 'cookie', 'apiKey', 'api_key', '["x-clickhouse-key"]', 'sasl_password', '["sasl.password"]'];
export const REDACTED_PATHS = SECRET_FIELDS.flatMap((f) => {
  const under = (parent: string) => (f.startsWith('[') ? `${parent}${f}` : `${parent}.${f}`);
  return [f, under('*'), under('*.*'), under('*.*.*')];
});

/** Structured JSON logs (pino). LOG_LEVEL sets the level; `silent` in tests. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    { name: service, level, base: { service }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    pino.destination({ dest: process.env.LOG_FILE ?? 2, sync: false, mkdir: true }),
  );
}
