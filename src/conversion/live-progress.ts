import type { JobQueue, Lease } from './job-queue';

/**
 * Progress within a chunk: the rows read and written so far, stored on the conversion at most
 * every `intervalMs` (one small UPDATE, never awaited by the pipeline) and announced like a
 * committed chunk. Geocoding itself is one statement per chunk and is reported when it commits;
 * reading and writing are what move in between, so a file of one chunk moves too.
 */
export class LiveProgress {
  readRows = 0;
  writtenRows = 0;
  private stored = { read: -1, written: -1 };
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly queue: JobQueue,
    private readonly lease: Lease,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), Math.max(this.intervalMs, 100));
    this.timer.unref();
  }

  /** Stops the ticker and waits for a store under way (the caller's next update must come after it). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private flush(): void {
    if (this.inFlight || (this.stored.read === this.readRows && this.stored.written === this.writtenRows)) return;
    const read = this.readRows;
    const written = this.writtenRows;
    this.inFlight = this.queue
      .recordProgress(this.lease, read, written)
      .then(() => {
        this.stored = { read, written };
      })
      // A lost job is noticed by the pipeline at its next commit; progress is best effort.
      .catch(() => {})
      .finally(() => {
        this.inFlight = null;
      });
  }
}
