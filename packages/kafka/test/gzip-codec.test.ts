// The kafkajs gzip codec the clients register: interoperable with any gzip, and small buffers done
// without waiting for a libuv pool thread (the embedded ClickHouse engine's queries hold them).
import { pbkdf2, randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { INLINE_GUNZIP_MAX_BYTES, INLINE_GZIP_MAX_BYTES, useInlineGzip } from '../src/kafkajs/gzip-codec.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

type Codec = { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };
function codec(): Codec {
  useInlineGzip();
  return (CompressionCodecs[CompressionTypes.GZIP] as unknown as () => Codec)();
}

/** Fills every libuv pool thread (and its queue) with slow work; each job adds "pool job" to `order` as it ends. */
function saturatePool(order: string[]): Promise<unknown> {
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const jobs = Array.from({ length: threads * 2 }, () => new Promise((resolve) => pbkdf2('x', 'y', 100_000, 32, 'sha256', () => resolve(order.push('pool job')))));
  return Promise.all(jobs);
}

describe('inline gzip codec', () => {
  const text = Buffer.from('{"event_id":"e-1","type":"ENDED"}'.repeat(50));

  it('compresses what zlib reads and reads what zlib compresses', async () => {
    const c = codec();
    expect(zlib.gunzipSync(await c.compress({ buffer: text })).equals(text)).toBe(true);
    expect((await c.decompress(zlib.gzipSync(text))).equals(text)).toBe(true);
    const large = Buffer.alloc(INLINE_GUNZIP_MAX_BYTES * 2, 'abc');
    expect((await c.decompress(await c.compress({ buffer: large }))).equals(large)).toBe(true);
  });

  it('reads a small batch before a busy pool frees a thread, a large one after', async () => {
    const c = codec();
    const order: string[] = [];
    const pool = saturatePool(order);
    const small = c.decompress(zlib.gzipSync(text)).then(() => order.push('small'));
    // Random bytes do not compress: the gzip read is over the inline limit.
    const large = c.decompress(zlib.gzipSync(randomBytes(INLINE_GUNZIP_MAX_BYTES * 2))).then(() => order.push('large'));
    await Promise.all([pool, small, large]);
    expect(order[0]).toBe('small');
    expect(order.indexOf('large')).toBeGreaterThan(order.indexOf('pool job'));
  });

  it('compresses a small batch before a busy pool frees a thread, a large one after', async () => {
    const c = codec();
    const order: string[] = [];
    const pool = saturatePool(order);
    const small = c.compress({ buffer: text }).then(() => order.push('small'));
    const large = c.compress({ buffer: randomBytes(INLINE_GZIP_MAX_BYTES * 2) }).then(() => order.push('large'));
    await Promise.all([pool, small, large]);
    expect(order[0]).toBe('small');
    expect(order.indexOf('large')).toBeGreaterThan(order.indexOf('pool job'));
  });
});
