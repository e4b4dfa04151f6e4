/**
 * Request bodies of the event routes, by Content-Type: `application/json` (one event or an array of
 * events) and `application/x-ndjson` (one event per line; blank lines are skipped). Both become the
 * list of items the validation step checks. Fastify enforces the byte limit (413) before these run.
 */
import type { FastifyInstance } from 'fastify';

export const JSON_TYPE = 'application/json';
export const NDJSON_TYPE = 'application/x-ndjson';
export const BODY_TYPES = [JSON_TYPE, NDJSON_TYPE] as const;

/** An error with the HTTP status it should be answered with. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function parseJson(text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}

function parseNdjson(text: string): unknown[] {
  const items: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      items.push(JSON.parse(line));
    } catch (err) {
      throw new HttpError(400, `line ${i + 1} of the NDJSON body is not valid JSON: ${(err as Error).message}`);
    }
  });
  return items;
}

/** Replaces Fastify's JSON parser with the event-list parsers; `maxEvents` more gives 413. */
export function registerBodyParsers(app: FastifyInstance, maxEvents: number): void {
  app.removeAllContentTypeParsers();
  for (const [type, parse] of [[JSON_TYPE, parseJson], [NDJSON_TYPE, parseNdjson]] as const) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => {
      try {
        const items = parse(body as string);
        if (items.length === 0) throw new HttpError(400, 'no events in the body');
        if (items.length > maxEvents) throw new HttpError(413, `at most ${maxEvents} events per request, got ${items.length}`);
        done(null, items);
      } catch (err) {
        done(err as Error, undefined);
      }
    });
  }
}
