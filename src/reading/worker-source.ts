import { Worker } from 'node:worker_threads';
import { UserInputError } from '../errors';
import { workerEntry } from '../util/worker-entry';
import { describeReadError, fileTooComplex, TOO_COMPLEX, type ReadPlace } from './read-limits';
import { RowBatch, unpackRows, type PackedRows } from './row-batches';
import type { ReadSettings, Row, SheetRows, TableSource } from './table-source';
import type { CallMethod, FromWorker, ToWorker, WorkerInit } from './worker-protocol';

/** The reading worker's heap limit (READER_HEAP_MB); see configureReading. */
let heapMb = 256;
/** How long a source keeps its worker after a read, for its next read. */
const IDLE_MS = 500;
/**
 * Idle workers kept for the next source, and for how long. A new worker's start and its parser's
 * first, unoptimised rows cost a small conversion more than its rows do: 25,000 rows read in
 * 263 ms by a new worker, 111–141 ms by one that had read before. One is enough for conversions
 * one after the other (the upload's check, the analysis and the rows take turns): a second idle
 * worker held ~40 MB more at the peak (1,000,000 rows → XLSX, a server's later runs: 391 / 365
 * against 347 / 343 MB) and was no faster (25,000 rows 0.48 / 0.42 against 0.38 / 0.39 s).
 */
const POOL_SIZE = 1;
const POOL_IDLE_MS = 30_000;
/**
 * Batches (of up to 1,000 rows) the worker may send before the main thread has taken them. With
 * two, the parser stopped while the main thread wrote a chunk (100,000 rows), so reading and
 * writing took turns; 64 (a few MB of packed rows) keep it parsing meanwhile: at a million rows
 * the read phase went from 5.9–6.0 s to 3.1–4.4 s (README, "Writer thread").
 */
const CREDITS = 64;

/**
 * The reading worker's young generation, in megabytes (V8's default is larger): what it allocates
 * (decoded text, the fields of a record) is dropped as soon as a batch is packed, so collecting
 * it more often costs little. Peak server RSS, interleaved runs: 200,000 rows → XLSX 367/377 →
 * 327/348 MB, 1,000,000 rows 364/371 → 356/353 MB (→ CSV 387/395 → 370/369 MB), no slower.
 */
const YOUNG_MB = 8;

/** Sets the reading worker's heap limit, in megabytes (READER_HEAP_MB, at start). */
export function configureReading(options: { heapMb: number }): void {
  heapMb = options.heapMb;
}

// Bundled (scripts/bundle.mjs), the worker is read-worker.mjs next to the bundle.
const workerEntryOf = () => workerEntry(import.meta.url, './read-worker.ts', './read-worker.mjs');

/** Request ids, unique across sources: a worker's late answer to its last owner reaches nobody. */
let nextId = 1;

/** A reading worker and the source it reads for (none while it waits in the pool). */
interface PooledWorker {
  worker: Worker;
  owner: WorkerTableSource | null;
  heapMb: number;
  /** Ends it after POOL_IDLE_MS in the pool. */
  expiry: NodeJS.Timeout | null;
  /** Ended on purpose: its exit is no failure. */
  retired: boolean;
}

const pool: PooledWorker[] = [];
/** Every reading worker alive, in the pool or reading. */
const live = new Set<PooledWorker>();

/** The reading workers alive, and whether each waits in the pool (for tests and the robustness script). */
export function readingWorkers(): { worker: Worker; pooled: boolean }[] {
  return [...live].map((p) => ({ worker: p.worker, pooled: pool.includes(p) }));
}

function startWorker(): PooledWorker {
  const [entry, how] = workerEntryOf();
  const worker = new Worker(entry, { ...how, resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: YOUNG_MB } });
  const pooled: PooledWorker = { worker, owner: null, heapMb, expiry: null, retired: false };
  live.add(pooled);
  worker.on('message', (m: FromWorker) => pooled.owner?.receive(m));
  worker.on('error', (err: Error & { code?: string }) => {
    if (!pooled.retired) pooled.owner?.workerFailed(pooled, err);
  });
  worker.on('exit', () => {
    live.delete(pooled);
    const at = pool.indexOf(pooled);
    if (at >= 0) pool.splice(at, 1);
    if (!pooled.retired) pooled.owner?.workerFailed(pooled, null);
  });
  return pooled;
}

/** A worker for `owner`'s file: one from the pool (its parser warm), else a new one. */
function takeWorker(owner: WorkerTableSource, init: WorkerInit): PooledWorker {
  let pooled = pool.pop();
  while (pooled && pooled.heapMb !== heapMb) {
    retire(pooled);
    pooled = pool.pop();
  }
  pooled ??= startWorker();
  if (pooled.expiry) clearTimeout(pooled.expiry);
  pooled.expiry = null;
  pooled.owner = owner;
  pooled.worker.postMessage({ op: 'open', id: 0, init } satisfies ToWorker);
  return pooled;
}

/** Back to the pool (its file let go), or ended when the pool is full. */
function giveBack(pooled: PooledWorker): void {
  pooled.owner = null;
  if (pool.length >= POOL_SIZE || pooled.heapMb !== heapMb) return retire(pooled);
  pooled.worker.postMessage({ op: 'close', id: 0 } satisfies ToWorker);
  pooled.worker.unref();
  pooled.expiry = setTimeout(() => {
    const at = pool.indexOf(pooled);
    if (at >= 0) pool.splice(at, 1);
    retire(pooled);
  }, POOL_IDLE_MS);
  pooled.expiry.unref();
  pool.push(pooled);
}

function retire(pooled: PooledWorker): void {
  pooled.retired = true;
  if (pooled.expiry) clearTimeout(pooled.expiry);
  void pooled.worker.terminate();
}

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
  private worker: PooledWorker | null = null;
  private readonly channels = new Map<number, Channel>();
  private idle: NodeJS.Timeout | null = null;
  /** Where the latest stream is, for the message when the worker dies. */
  private readonly place: ReadPlace = {};
  private readonly counted = new Map<string, Promise<number | null>>();

  constructor(private readonly init: WorkerInit) {
    this.current = init.known ?? { format: init.format };
  }

  get settings(): ReadSettings {
    return this.current;
  }

  async sheetNames(): Promise<string[]> {
    return (await this.call('sheetNames')) as string[];
  }

  /** Counted once per sheet: the analysis asks twice (MAX_ROWS, then progress), and a scan of a million rows is ~0.2 s. */
  countRows(sheet: string): Promise<number | null> {
    let counted = this.counted.get(sheet);
    if (!counted) {
      counted = this.call('countRows', sheet) as Promise<number | null>;
      this.counted.set(sheet, counted);
      // A failed count is not kept: the next caller asks again (and gets the error told its way).
      counted.catch(() => this.counted.delete(sheet));
    }
    return counted;
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
          this.tell({ op: 'pull', id });
          this.place.row += m.packed.rows;
          yield m.packed;
        } else {
          finished = true;
          this.settle(m);
          return;
        }
      }
    } finally {
      if (!finished) this.tell({ op: 'stop', id });
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
          if (!skipped && after === null) this.tell({ op: 'skip', id, sheetIndex: sheet.index });
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
              this.tell({ op: 'pull', id });
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
            this.tell({ op: 'pull', id });
            e = await channel.next();
          }
          after = e;
        }
        m = after!;
      }
    } finally {
      if (!finished) this.tell({ op: 'stop', id });
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
    const id = nextId++;
    const channel = new Channel();
    this.channels.set(id, channel);
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.post({ ...message, id });
    // Keeps the process alive while a read waits for the worker; an idle worker does not.
    this.worker?.worker.ref();
    return { id, channel };
  }

  private close(id: number): void {
    this.channels.delete(id);
    if (this.channels.size === 0 && this.worker && !this.idle) {
      this.worker.worker.unref();
      this.idle = setTimeout(() => {
        this.idle = null;
        const pooled = this.worker;
        this.worker = null;
        if (pooled) giveBack(pooled);
      }, IDLE_MS);
      this.idle.unref();
    }
  }

  private post(message: ToWorker): void {
    this.worker ??= takeWorker(this, this.init);
    this.worker.worker.postMessage(message);
  }

  /**
   * A message about an open stream (pull, skip, stop): to the worker reading it, or to nobody when
   * that worker has died (rows it sent before are still being taken; a new worker would not know
   * the stream, and would only be started to be left idle).
   */
  private tell(message: ToWorker): void {
    this.worker?.worker.postMessage(message);
  }

  /** A message from this source's worker. */
  receive(m: FromWorker): void {
    this.channels.get(m.id)?.push(m);
  }

  /**
   * The worker died (`err`: why, null when it just exited): every open request gets the coded
   * error, and the next request starts another worker.
   */
  workerFailed(pooled: PooledWorker, err: (Error & { code?: string }) | null): void {
    if (this.worker !== pooled) return;
    this.worker = null;
    pooled.owner = null;
    const place = { ...this.place };
    const error =
      err === null || err.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(err.message)
        ? fileTooComplex(place, TOO_COMPLEX.memory(pooled.heapMb))
        : describeReadError(err, place, this.init.format);
    for (const [id, channel] of this.channels) channel.push({ id, kind: 'error', message: error.message, code: error.code });
  }
}
