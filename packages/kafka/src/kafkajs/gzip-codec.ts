import { promisify } from 'node:util';
import zlib from 'node:zlib';
import kafkajs from 'kafkajs';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** Fetched batches up to this size (compressed) are read on the event loop: at most ~3 ms each. */
export const INLINE_GUNZIP_MAX_BYTES = 256 * 1024;
/**
 * Produced batches up to this size are compressed on the event loop (an ingest request's: tens of
 * microseconds); a bulk producer's larger ones, ~8× dearer to compress than to read, on the pool.
 */
export const INLINE_GZIP_MAX_BYTES = 16 * 1024;

const gzipAsync = promisify(zlib.gzip);
const unzipAsync = promisify(zlib.unzip);

/**
 * kafkajs' own gzip codec runs every (de)compression on the libuv pool. In a process that also holds
 * the embedded ClickHouse engine, each running query holds a pool thread, so a fetched batch waited
 * behind a flush's inserts before it could even be read: up to 1.3 s between a produce's ack and the
 * consumer seeing it (freshness probe, issue 8). Small buffers, nearly all of a live pipeline's, are
 * therefore done inline. Registered process-wide (kafkajs keeps one codec table).
 */
export function useInlineGzip(): void {
  CompressionCodecs[CompressionTypes.GZIP] = () => ({
    compress: async (encoder: { buffer: Buffer }) => (encoder.buffer.length <= INLINE_GZIP_MAX_BYTES ? zlib.gzipSync(encoder.buffer) : gzipAsync(encoder.buffer)),
    decompress: async (buffer: Buffer) => (buffer.length <= INLINE_GUNZIP_MAX_BYTES ? zlib.unzipSync(buffer) : unzipAsync(buffer)),
  });
}
