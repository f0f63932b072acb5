/** Bytes of one block handed to the output stream. */
const BLOCK_BYTES = 256 * 1024;

/**
 * Encodes text into UTF-8 Buffer blocks, a small piece (one row) at a time, and hands each full
 * block to `emit` (blocks are never reused, so the receiver may keep them). Each row's string is
 * encoded while it is small and young: appending rows to a 256 KB string and encoding that, as
 * the writers did before, spent more time flattening V8's concatenated strings than building them
 * (on 200,000 bench rows of XLSX, ~3.5 s of CPU against ~1.6 s this way).
 */
export class Utf8Blocks {
  private buf = Buffer.allocUnsafe(BLOCK_BYTES);
  private pos = 0;

  constructor(private readonly emit: (block: Buffer) => void) {}

  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.pos + text.length * 3 > this.buf.length) {
      this.flush();
      if (text.length * 3 > this.buf.length) this.buf = Buffer.allocUnsafe(text.length * 3);
    }
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** Hands over what is written so far. */
  flush(): void {
    if (this.pos === 0) return;
    this.emit(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(BLOCK_BYTES);
    this.pos = 0;
  }
}
