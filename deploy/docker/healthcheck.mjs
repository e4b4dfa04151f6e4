// Docker HEALTHCHECK probe for the Node services: the slim image has neither curl nor wget.
//   node deploy/docker/healthcheck.mjs http://127.0.0.1:9401/readyz [timeoutMs]
// Exit 0 on a 2xx answer, 1 otherwise (non-2xx, refused, timeout).
const url = process.argv[2];
const timeoutMs = Number(process.argv[3] ?? 4000);
if (!url) {
  process.stderr.write('usage: healthcheck.mjs <url> [timeoutMs]\n');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  if (!res.ok) process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`healthcheck: ${url}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
