import zlib from 'node:zlib';
import CRC32 from 'crc-32';

/**
 * archiver (through crc32-stream, whose newest release still does the same) checksums every zip
 * entry with the `crc-32` package, in JavaScript on the main thread: 2.7 s of CPU for the
 * ~740 MB of sheet XML of a million-row output, a quarter of the write phase. Node's own
 * `zlib.crc32` (zlib's, SIMD) gives the same numbers about eight times faster, so `crc-32`'s
 * buffer function is pointed at it. Same contract: a signed 32-bit result, and the previous
 * result (signed or not) as the seed; input zlib cannot take (plain arrays) keeps the old path.
 */
const javascriptBuf = CRC32.buf;
CRC32.buf = (data: Uint8Array | number[], seed?: number): number =>
  ArrayBuffer.isView(data) ? zlib.crc32(data, typeof seed === 'number' ? seed >>> 0 : 0) | 0 : javascriptBuf(data, seed);
