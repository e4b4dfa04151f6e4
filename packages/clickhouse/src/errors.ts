// ClickHouse errors come from two copies of the ClickHouseError class: @clickhouse/client's (server mode)
// and @clickhouse/client-common's (raised by chdb). `instanceof` sees only one, so match the shape.

export interface ClickHouseErrorLike extends Error {
  /** Numeric ClickHouse error code, as a string (e.g. "60"). */
  code: string;
  /** Error name such as UNKNOWN_TABLE, when known. */
  type: string | undefined;
}

export function isClickHouseError(err: unknown): err is ClickHouseErrorLike {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^\d+$/.test(code);
}
