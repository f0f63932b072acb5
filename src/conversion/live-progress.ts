import type { ThrottledPublisher } from '../pubsub/throttled-publisher';
import type { JobQueue } from './job-queue';

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
    private readonly publisher: ThrottledPublisher,
    private readonly conversionId: string,
    private readonly workerId: string,
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

  /** The columns' values, for an update the runner makes anyway (a phase change, the end). */
  get columns(): { read_rows: number; written_rows: number } {
    return { read_rows: this.readRows, written_rows: this.writtenRows };
  }

  private flush(): void {
    if (this.inFlight || (this.stored.read === this.readRows && this.stored.written === this.writtenRows)) return;
    const read = this.readRows;
    const written = this.writtenRows;
    this.inFlight = this.queue
      .updateOwned(this.conversionId, this.workerId, { read_rows: read, written_rows: written })
      .then((owned) => {
        this.stored = { read, written };
        if (owned) this.publisher.publish(this.conversionId);
      })
      // A lost job is noticed by the pipeline at its next commit; progress is best effort.
      .catch(() => {})
      .finally(() => {
        this.inFlight = null;
      });
  }
}
