import type { DetectedLayout, DetectedSheet, PhaseTimings } from '../entities/Conversion';
import { BatchedRows, RowBatch, RowPacker } from '../reading/row-batches';
import type { CellValue, ChunkRows, Row, TableSource } from '../reading/table-source';
import { trimCoordinates } from '../writing/cell-values';
import type { OutputWriter } from '../writing/output-writer';
import type { AppendedColumns } from './appended-columns';
import type { LiveProgress } from './live-progress';
import type { ChunkResults, CoordinateColumns } from './resume-ledger';

/** Rows used to size the output columns. */
const SAMPLE_ROWS = 200;
/** Rows written between two turns of the event loop (see writeChunk). */
const WRITE_SLICE_ROWS = 250;
/**
 * Characters of text a chunk may hold, whatever CHUNK_ROWS says: memory holds three chunks, and
 * 100,000 rows with a 4 KiB memo each (a legitimate 400 MB CSV) were ~500 MB of strings per
 * chunk, past the server's 320 MB heap (the process died). 12 million characters are at most
 * ~24 MB of string data per chunk; rows of under 120 characters still come 100,000 to a chunk.
 */
export const CHUNK_CHARS = 12_000_000;

/** Rows of a source without packed batches (a file read in this thread), packed 1,000 at a time. */
async function* packedBatches(rows: AsyncIterable<Row>): AsyncGenerator<RowBatch> {
  const packer = new RowPacker(1000, 256 * 1024);
  for await (const row of rows) {
    packer.add(row);
    if (packer.full) yield new RowBatch(packer.take());
  }
  if (packer.size > 0) yield new RowBatch(packer.take());
}

export interface PipelineParts {
  detected: DetectedLayout;
  source: TableSource;
  writer: OutputWriter;
  columns: AppendedColumns;
  chunkRows: number;
  /** The results of the next rows of the pass, in order (ResumeLedger.resultsFor). */
  resultsFor: (rows: ChunkRows, columns: CoordinateColumns) => Promise<ChunkResults>;
  signal: AbortSignal;
  timings: PhaseTimings;
  /** Rows read and written, stored now and then for progress within a chunk. */
  progress?: LiveProgress;
}

/**
 * One pass over the input: reads every sheet in order, has each chunk of a converted sheet's
 * rows answered, and writes the rows with their results; sheets without coordinates are copied.
 */
export class ChunkPipeline {
  constructor(private readonly parts: PipelineParts) {}

  async writeAllSheets(): Promise<void> {
    for (const sheet of this.parts.detected.sheets) {
      this.checkSignal();
      if (sheet.xIndex === null) await this.copySheet(sheet);
      else await this.convertSheet(sheet);
    }
  }

  private async copySheet(sheet: DetectedSheet): Promise<void> {
    const { writer } = this.parts;
    writer.startSheet({ name: sheet.name, leadingRows: [], header: null, appendedHeader: [], sample: [] });
    let n = 0;
    for await (const row of this.timedRows(sheet.name)) {
      writer.writeRow(row, null);
      if (++n % WRITE_SLICE_ROWS === 0) await writer.drained?.();
    }
    await writer.endSheet();
  }

  /**
   * Reads, geocodes and writes one sheet as a bounded pipeline of three chunks: while the
   * database geocodes chunk N, this process writes chunk N-1 and reads chunk N+1, so the
   * database and the parser/writer work at the same time (on two cores, about the sum of their
   * speeds becomes the max). At most one chunk is in the database at a time, which keeps row
   * numbering and the commit order of chunks; memory holds at most three chunks. Rows stay in the
   * reader's packed batches throughout (RowBatch): a chunk is cut from them and written from them.
   */
  private async convertSheet(sheet: DetectedSheet): Promise<void> {
    const { writer, columns, chunkRows } = this.parts;
    // Sheets of one workbook may be in different systems; a layout without per-sheet systems has one.
    const coordinates: CoordinateColumns = {
      xIndex: sheet.xIndex!,
      yIndex: sheet.yIndex!,
      srid: sheet.srid ?? this.parts.detected.srid,
      sheet: sheet.name,
      headerRow: sheet.headerRow,
      dateIndex: sheet.dateIndex ?? null,
    };
    const appendedHeader = columns.headerFor(sheet.header).names;
    const leading: Row[] = [];
    let pending: RowBatch[] = [];
    let pendingRows = 0;
    let pendingChars = 0;
    let inFlight: { rows: BatchedRows; results: Promise<ChunkResults> } | null = null;
    let started = false;
    // Started with the first geocoded chunk in hand, so the appended columns (주소 …) are sized
    // by their values too; a sheet without data rows is started at the end with its header only.
    const startSheet = (firstRows: BatchedRows | null, firstResults: ChunkResults | null) => {
      if (started) return;
      const sampled = Math.min(SAMPLE_ROWS, firstRows?.length ?? 0);
      const sample: Row[] = [];
      const appendedSample: CellValue[][] = [];
      for (let i = 0; i < sampled; i++) {
        sample.push(trimCoordinates(firstRows!.row(i), sheet));
        appendedSample.push(columns.valuesFor(firstResults!, i));
      }
      writer.startSheet({ name: sheet.name, leadingRows: leading, header: sheet.header, appendedHeader, sample, appendedSample });
      started = true;
    };
    /** Waits for the chunk in the database, starts the next one, then writes the finished one. */
    const handOver = async (next: BatchedRows | null) => {
      const previous = inFlight;
      const previousResults = previous ? await previous.results : null;
      inFlight = null;
      if (next) {
        this.checkSignal();
        const results = this.parts.resultsFor(next, coordinates);
        // Awaited on the next hand-over (or in finally); this only keeps a failure that happens
        // meanwhile from counting as an unhandled rejection.
        results.catch(() => {});
        inFlight = { rows: next, results };
      }
      if (previous) {
        startSheet(previous.rows, previousResults!);
        await this.writeChunk(previous.rows, previousResults!, sheet);
      }
    };
    const cut = async () => {
      const full = new BatchedRows(pending);
      pending = [];
      pendingRows = pendingChars = 0;
      await handOver(full);
    };

    try {
      let index = 0;
      for await (const batch of this.timedBatches(sheet.name)) {
        let from = 0;
        for (; from < batch.length && index <= sheet.headerRow; from++, index++) {
          if (index < sheet.headerRow) leading.push(batch.row(from));
        }
        if (this.parts.progress) this.parts.progress.readRows += batch.length - from;
        index += batch.length - from;
        // The batch's data rows into chunks of chunkRows rows, or fewer where they reach CHUNK_CHARS.
        while (from < batch.length) {
          let to = Math.min(batch.length, from + chunkRows - pendingRows);
          if (pendingChars + batch.chars(from, to) >= CHUNK_CHARS) {
            // Up to and with the row that reaches CHUNK_CHARS, as when rows were added one by one.
            to = from + 1;
            while (pendingChars + batch.chars(from, to) < CHUNK_CHARS) to++;
          }
          pending.push(from === 0 && to === batch.length ? batch : batch.slice(from, to));
          pendingRows += to - from;
          pendingChars += batch.chars(from, to);
          from = to;
          if (pendingRows >= chunkRows || pendingChars >= CHUNK_CHARS) await cut();
        }
      }
      if (pendingRows > 0) await cut();
      await handOver(null);
      startSheet(null, null);
    } finally {
      // Never leave a chunk's statements running behind a failure.
      await (inFlight as { results: Promise<unknown> } | null)?.results.catch(() => {});
    }
    await writer.endSheet();
  }

  /**
   * Writes a geocoded chunk in slices, yielding to the event loop between them: the chunk in the
   * database is a statement or two, and each is only sent once this process gets to handle the
   * previous one's reply. Writing 100,000 rows in one go would stall it for two seconds.
   */
  private async writeChunk(rows: BatchedRows, results: ChunkResults, sheet: DetectedSheet): Promise<void> {
    const { writer, columns, timings } = this.parts;
    for (let from = 0; from < rows.length; from += WRITE_SLICE_ROWS) {
      const t = Date.now();
      const to = Math.min(rows.length, from + WRITE_SLICE_ROWS);
      rows.forEachPart(from, to, (batch, start, end, first) => {
        writer.writeRows(batch, start, end, { values: (k) => columns.valuesFor(results, first + k), key: (k) => columns.keyFor(results, first + k) }, sheet);
      });
      if (this.parts.progress) this.parts.progress.writtenRows += to - from;
      await writer.drained?.();
      timings.writeMs += Date.now() - t;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Rows of a sheet, with the time spent waiting for the reader added to readMs. */
  private async *timedRows(sheet: string): AsyncGenerator<Row> {
    for await (const batch of this.timedBatches(sheet)) for (let i = 0; i < batch.length; i++) yield batch.row(i);
  }

  /**
   * A sheet's rows in packed batches (the reading worker's; other sources' rows are packed here),
   * with the time spent waiting for the reader added to readMs.
   */
  private async *timedBatches(sheet: string): AsyncGenerator<RowBatch> {
    const { source } = this.parts;
    const iterator = (source.batches ? source.batches(sheet) : packedBatches(source.rows(sheet)))[Symbol.asyncIterator]();
    let done = false;
    try {
      for (;;) {
        const t = Date.now();
        const next = await iterator.next();
        this.parts.timings.readMs += Date.now() - t;
        if (next.done) {
          done = true;
          return;
        }
        yield next.value;
      }
    } finally {
      // A conversion that stops early (cancelled, failed) ends the source's stream too, so its
      // reading worker is let go instead of waiting for a pull that never comes.
      if (!done) await iterator.return?.(undefined);
    }
  }

  private checkSignal(): void {
    if (this.parts.signal.aborted) throw this.parts.signal.reason;
  }
}
