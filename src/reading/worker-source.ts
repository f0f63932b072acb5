import { Worker } from 'node:worker_threads';
import { UserInputError } from '../errors';
import { workerEntry } from '../util/worker-entry';
import { describeReadError, fileTooComplex, TOO_COMPLEX, type ReadPlace } from './read-limits';
import { RowBatch, unpackRows, type PackedRows } from './row-batches';
import type { ReadSettings, Row, SheetRows, TableSource } from './table-source';
import type { CallMethod, FromWorker, ToWorker, WorkerInit } from './worker-protocol';

/** The reading worker's heap limit (READER_HEAP_MB); see configureReading. */
let heapMb = 256;
/** How long an idle worker is kept for the next read of the same source. */
const IDLE_MS = 500;
/**
 * Batches (of up to 1,000 rows) the worker may send before the main thread has taken them. With
 * two, the parser stopped while the main thread wrote a chunk (100,000 rows), so reading and
 * writing took turns; 64 (a few MB of packed rows) keep it parsing meanwhile: at a million rows
 * the read phase went from 5.9–6.0 s to 3.1–4.4 s (README, "Writer thread").
 */
const CREDITS = 64;

/** Sets the reading worker's heap limit, in megabytes (READER_HEAP_MB, at start). */
export function configureReading(options: { heapMb: number }): void {
  heapMb = options.heapMb;
}

// Bundled (scripts/bundle.mjs), the worker is read-worker.mjs next to the bundle.
const workerEntryOf = () => workerEntry(import.meta.url, './read-worker.ts', './read-worker.mjs');

/** Workers ended on purpose (idle): their exit is no failure. */
const retired = new WeakSet<Worker>();

/** Messages for one request, in order. */
class Channel {
  private queue: FromWorker[] = [];
  private waiter: ((m: FromWorker) => void) | null = null;

  push(m: FromWorker): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(m);
    } else this.queue.push(m);
  }

  next(): Promise<FromWorker> {
    const m = this.queue.shift();
    return m ? Promise.resolve(m) : new Promise((resolve) => (this.waiter = resolve));
  }
}

/**
 * A TableSource whose parsing runs in a worker thread (read-worker.ts) with its own heap limit:
 * whatever a file holds, a blow-up in the parser (memory, an unforeseen exception, a stream
 * error) ends that worker only and comes out here as a coded error for this read
 * (FILE_TOO_COMPLEX, FILE_DAMAGED, …), while the server and the other conversions go on. Rows
 * arrive in packed batches (row-batches.ts) up to CREDITS batches ahead of the reader, so the
 * parser runs on another core while this thread geocodes and writes. The worker is started at the
 * first read and ended when the source has been idle for a moment.
 */
export class WorkerTableSource implements TableSource {
  private current: ReadSettings;
  private worker: Worker | null = null;
  private readonly channels = new Map<number, Channel>();
  private nextId = 1;
  private idle: NodeJS.Timeout | null = null;
  /** Where the latest stream is, for the message when the worker dies. */
  private readonly place: ReadPlace = {};

  constructor(private readonly init: WorkerInit) {
    this.current = init.known ?? { format: init.format };
  }

  get settings(): ReadSettings {
    return this.current;
  }

  async sheetNames(): Promise<string[]> {
    return (await this.call('sheetNames')) as string[];
  }

  async countRows(sheet: string): Promise<number | null> {
    return (await this.call('countRows', sheet)) as number | null;
  }

  async declaredRows(sheet: string): Promise<number | null> {
    return (await this.call('declaredRows', sheet)) as number | null;
  }

  async notes(): Promise<string[]> {
    return (await this.call('notes')) as string[];
  }

  async *rows(sheet: string): AsyncGenerator<Row> {
    for await (const packed of this.packedRows(sheet)) for (const row of unpackRows(packed)) yield row;
  }

  async *batches(sheet: string): AsyncGenerator<RowBatch> {
    for await (const packed of this.packedRows(sheet)) yield new RowBatch(packed);
  }

  private async *packedRows(sheet: string): AsyncGenerator<PackedRows> {
    const { id, channel } = this.open({ op: 'stream', id: 0, sheet, credits: CREDITS });
    this.place.sheet = sheet;
    this.place.row = 0;
    let finished = false;
    try {
      for (;;) {
        const m = await channel.next();
        if (m.kind === 'rows') {
          this.post({ op: 'pull', id });
          this.place.row += m.packed.rows;
          yield m.packed;
        } else {
          finished = true;
          this.settle(m);
          return;
        }
      }
    } finally {
      if (!finished) this.post({ op: 'stop', id });
      this.close(id);
    }
  }

  async *sheets(): AsyncGenerator<SheetRows> {
    const { id, channel } = this.open({ op: 'stream', id: 0, credits: CREDITS });
    let finished = false;
    try {
      let m = await channel.next();
      for (;;) {
        if (m.kind !== 'sheet') {
          finished = true;
          this.settle(m);
          return;
        }
        const sheet = m;
        this.current = sheet.settings;
        this.place.sheet = sheet.name;
        this.place.row = 0;
        let after: FromWorker | null = null;
        let skipped = false;
        const skip = () => {
          if (!skipped && after === null) this.post({ op: 'skip', id, sheetIndex: sheet.index });
          skipped = true;
        };
        const rows = async function* (this: WorkerTableSource): AsyncGenerator<Row> {
          try {
            for (;;) {
              const e = await channel.next();
              if (e.kind !== 'rows') {
                after = e;
                return;
              }
              this.post({ op: 'pull', id });
              this.place.row! += e.packed.rows;
              for (const row of unpackRows(e.packed)) yield row;
            }
          } finally {
            if (after === null) skip();
          }
        }.call(this);
        yield { name: sheet.name, rows };
        if (after === null) {
          // The caller stopped reading this sheet (or never started): the rest of it is skipped.
          await rows.return(undefined);
          skip();
          let e = await channel.next();
          while (e.kind === 'rows') {
            this.post({ op: 'pull', id });
            e = await channel.next();
          }
          after = e;
        }
        m = after!;
      }
    } finally {
      if (!finished) this.post({ op: 'stop', id });
      this.close(id);
    }
  }

  /** The end of a stream: settings learnt, or its error thrown. */
  private settle(m: FromWorker): void {
    if (m.kind === 'error') throw new UserInputError(m.message, m.code);
    if (m.kind === 'end' || m.kind === 'value') this.current = m.settings;
  }

  private async call(method: CallMethod, sheet?: string): Promise<unknown> {
    const { id, channel } = this.open({ op: 'call', id: 0, method, sheet });
    try {
      const m = await channel.next();
      this.settle(m);
      return m.kind === 'value' ? m.value : null;
    } finally {
      this.close(id);
    }
  }

  private open(message: ToWorker): { id: number; channel: Channel } {
    const id = this.nextId++;
    const channel = new Channel();
    this.channels.set(id, channel);
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.post({ ...message, id });
    // Keeps the process alive while a read waits for the worker; an idle worker does not.
    this.worker?.ref();
    return { id, channel };
  }

  private close(id: number): void {
    this.channels.delete(id);
    if (this.channels.size === 0 && this.worker && !this.idle) {
      this.worker.unref();
      this.idle = setTimeout(() => {
        this.idle = null;
        const worker = this.worker;
        this.worker = null;
        if (worker) retired.add(worker);
        void worker?.terminate();
      }, IDLE_MS);
      this.idle.unref();
    }
  }

  private post(message: ToWorker): void {
    this.ensureWorker().postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const [entry, how] = workerEntryOf();
    const worker = new Worker(entry, { ...how, workerData: this.init, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    let failed = false;
    const fail = (error: UserInputError) => {
      if (failed || retired.has(worker)) return;
      failed = true;
      if (this.worker === worker) this.worker = null;
      for (const [id, channel] of this.channels) channel.push({ id, kind: 'error', message: error.message, code: error.code });
    };
    worker.on('message', (m: FromWorker) => this.channels.get(m.id)?.push(m));
    worker.on('error', (err: Error & { code?: string }) => {
      const place = { ...this.place };
      fail(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(err.message)
          ? fileTooComplex(place, TOO_COMPLEX.memory(heapMb))
          : describeReadError(err, place, this.init.format),
      );
    });
    worker.on('exit', () => {
      fail(fileTooComplex({ ...this.place }, TOO_COMPLEX.memory(heapMb)));
    });
    this.worker = worker;
    return worker;
  }
}
