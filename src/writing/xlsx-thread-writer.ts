import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { UserInputError } from '../errors';
import { RowPacker, transferablesOf, type RowBatch } from '../reading/row-batches';
import type { CellValue, Row } from '../reading/table-source';
import { workerEntry } from '../util/worker-entry';
import type { AppendedCells, CoordinateCells, OutputWriter, SheetStart } from './output-writer';
import type { ChunkSlice, FromWriteThread, ToWriteThread, WriteThreadInit } from './xlsx/thread-protocol';
import { checkColumns, EXCEL_MAX_ROWS, sheetColumns } from './xlsx-writer';

/** Output rows per batch sent to the thread, and characters (a batch is a few hundred KB at most). */
const BATCH_ROWS = 1000;
const BATCH_CHARS = 512 * 1024;
/** Batches sent but not yet written by the thread before drained() waits. */
const MAX_IN_FLIGHT = 128;

// Bundled (scripts/bundle.mjs), the thread is write-thread.mjs next to the bundle.
const threadEntry = () => workerEntry(import.meta.url, './xlsx/write-thread.ts', './write-thread.mjs');

/**
 * The XLSX output written in a worker thread: the same workbook as XlsxOutputWriter's (that class
 * runs in the thread, xlsx/write-thread.ts), but building the sheet XML, the zip bookkeeping
 * and feeding deflate happen there, so the main thread only packs each row (row-batches.ts, as
 * the reading worker sends them) and passes the compressed file on. The conversion's main
 * thread then reads, geocodes and writes at once instead of one after the other.
 *
 * Memory stays bounded both ways: at most MAX_IN_FLIGHT row batches wait for the thread
 * (drained()), and the thread waits when the main thread has not passed on its last few MB of
 * output (the output stream's backpressure).
 */
export class XlsxThreadWriter implements OutputWriter {
  private readonly worker: Worker;
  private packer = new RowPacker(2 * BATCH_ROWS, BATCH_CHARS);
  private appended = new Uint8Array(BATCH_ROWS);
  private count = 0;
  /** Batches sent and not yet written, counted in BATCH_ROWS rows (`weights`: each message's, in order). */
  private inFlight = 0;
  private readonly weights: number[] = [];
  private wakeWritten: (() => void) | null = null;
  private readonly done: Promise<void>;
  private failure: Error | null = null;
  /** The current sheet, for the column checks made here so they throw where the caller is. */
  private sheet: { name: string; appendedFrom: number } | null = null;
  private stopped = false;
  /** Output bytes written to `out` but not yet reported to the thread as taken. */
  private owed = 0;
  private awaitingDrain = false;

  constructor(
    private readonly out: Writable,
    maxRowsPerSheet = EXCEL_MAX_ROWS,
    csvText = false,
  ) {
    const [entry, how] = threadEntry();
    const init: WriteThreadInit = { maxRowsPerSheet, csvText };
    this.worker = new Worker(entry, { ...how, workerData: init });
    this.done = new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        if (this.failure) return;
        this.failure = err;
        this.wakeWritten?.();
        reject(err);
        void this.worker.terminate();
      };
      this.worker.on('message', (m: FromWriteThread) => {
        switch (m.kind) {
          case 'data':
            this.owed += m.chunk.byteLength;
            // Passed on once the output has taken it: at once, or at its next 'drain'.
            if (out.write(m.chunk)) this.settleOwed();
            else if (!this.awaitingDrain) {
              this.awaitingDrain = true;
              out.once('drain', () => {
                this.awaitingDrain = false;
                this.settleOwed();
              });
            }
            break;
          case 'written':
            this.inFlight -= this.weights.shift() ?? 1;
            this.wakeWritten?.();
            break;
          case 'finished':
            out.end();
            finished(out, { readable: false }).then(resolve, fail);
            break;
          case 'error':
            fail(m.code ? new UserInputError(m.message, m.code) : new Error(m.message));
            break;
        }
      });
      this.worker.on('error', fail);
      this.worker.on('exit', () => {
        if (!this.stopped) fail(new Error('The XLSX writing thread stopped unexpectedly'));
      });
      out.on('error', fail);
    });
    // Until finish(), drained() or abort() awaits it, a failure must not count as unhandled.
    this.done.catch(() => {});
  }

  startSheet(start: SheetStart): void {
    const { baseColumns, headerColumns } = sheetColumns(start);
    checkColumns(start.name, headerColumns);
    this.flush();
    this.sheet = { name: start.name, appendedFrom: baseColumns };
    this.post({ op: 'sheet', start });
  }

  writeRow(values: Row, appended: CellValue[] | null): void {
    const sheet = this.sheet;
    if (!sheet) throw new Error('writeRow before startSheet');
    checkColumns(sheet.name, Math.max(sheet.appendedFrom, values.length) + (appended?.length ?? 0));
    this.packer.add(values);
    this.packer.add(appended ?? NONE);
    this.appended[this.count++] = appended ? 1 : 0;
    if (this.count === BATCH_ROWS || this.packer.full) this.flush();
  }

  writeRows(rows: RowBatch, from: number, to: number, appended: AppendedCells, coordinates: CoordinateCells): void {
    const sheet = this.sheet;
    if (!sheet) throw new Error('writeRows before startSheet');
    const packer = new RowPacker(Infinity, Infinity);
    for (let i = from; i < to; i++) {
      const cells = appended.values(i - from);
      checkColumns(sheet.name, Math.max(sheet.appendedFrom, rows.width(i)) + cells.length);
      packer.add(cells);
    }
    this.flush();
    const slice: ChunkSlice = { rows: rows.packedSlice(from, to), appended: packer.take(), coordinates: { xIndex: coordinates.xIndex, yIndex: coordinates.yIndex } };
    // Counted as batches of BATCH_ROWS, as the rows written one by one are.
    this.inFlight += (to - from) / BATCH_ROWS;
    this.weights.push((to - from) / BATCH_ROWS);
    this.worker.postMessage({ op: 'chunkRows', slice } satisfies ToWriteThread, [...transferablesOf(slice.rows), ...transferablesOf(slice.appended)]);
  }

  async drained(): Promise<void> {
    while (this.inFlight > MAX_IN_FLIGHT && !this.failure) {
      await Promise.race([new Promise<void>((resolve) => (this.wakeWritten = resolve)), this.done]);
      this.wakeWritten = null;
    }
    if (this.failure) throw this.failure;
  }

  async endSheet(): Promise<void> {
    this.flush();
    this.post({ op: 'endSheet' });
    this.sheet = null;
  }

  async finish(): Promise<void> {
    this.flush();
    this.post({ op: 'finish' });
    try {
      await this.done;
    } finally {
      this.stopped = true;
      await this.worker.terminate();
    }
  }

  async abort(): Promise<void> {
    this.stopped = true;
    await this.worker.terminate();
    this.out.destroy();
  }

  private flush(): void {
    if (this.count === 0) return;
    const packed = this.packer.take();
    const appended = this.appended.slice(0, this.count);
    this.count = 0;
    this.inFlight++;
    this.weights.push(1);
    this.worker.postMessage({ op: 'rows', batch: { packed, appended } } satisfies ToWriteThread, [...transferablesOf(packed), appended.buffer]);
  }

  private settleOwed(): void {
    if (this.awaitingDrain || this.owed === 0) return;
    this.post({ op: 'taken', bytes: this.owed });
    this.owed = 0;
  }

  private post(m: ToWriteThread): void {
    if (!this.failure) this.worker.postMessage(m);
  }
}

const NONE: CellValue[] = [];
