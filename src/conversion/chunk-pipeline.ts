import type { DetectedLayout, DetectedSheet, PhaseTimings } from '../entities/Conversion';
import type { Row, TableSource } from '../reading/table-source';
import { trimCoordinates } from '../writing/cell-values';
import type { OutputWriter } from '../writing/output-writer';
import type { AppendedColumns } from './appended-columns';
import type { LiveProgress } from './live-progress';
import type { CoordinateColumns, RowResult } from './resume-ledger';

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

function textLength(row: Row): number {
  let n = 0;
  for (const cell of row) if (typeof cell === 'string') n += cell.length;
  return n;
}

export interface PipelineParts {
  detected: DetectedLayout;
  source: TableSource;
  writer: OutputWriter;
  columns: AppendedColumns;
  chunkRows: number;
  /** The results of the next rows of the pass, in order (ResumeLedger.resultsFor). */
  resultsFor: (rows: Row[], columns: CoordinateColumns) => Promise<RowResult[]>;
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
   * numbering and the commit order of chunks; memory holds at most three chunks.
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
    let pending: Row[] = [];
    let pendingChars = 0;
    let inFlight: { rows: Row[]; results: Promise<RowResult[]> } | null = null;
    let started = false;
    // Started with the first geocoded chunk in hand, so the appended columns (주소 …) are sized
    // by their values too; a sheet without data rows is started at the end with its header only.
    const startSheet = (firstRows: Row[], firstResults: RowResult[]) => {
      if (started) return;
      writer.startSheet({
        name: sheet.name,
        leadingRows: leading,
        header: sheet.header,
        appendedHeader,
        sample: firstRows.slice(0, SAMPLE_ROWS).map((r) => trimCoordinates(r, sheet)),
        appendedSample: firstResults.slice(0, SAMPLE_ROWS).map((r) => columns.valuesFor(r)),
      });
      started = true;
    };
    /** Waits for the chunk in the database, starts the next one, then writes the finished one. */
    const handOver = async (next: Row[]) => {
      const previous = inFlight;
      const previousResults = previous ? await previous.results : null;
      inFlight = null;
      if (next.length > 0) {
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

    try {
      let index = 0;
      for await (const row of this.timedRows(sheet.name)) {
        if (index < sheet.headerRow) leading.push(row);
        else if (index > sheet.headerRow) {
          pending.push(row);
          pendingChars += textLength(row);
          if (this.parts.progress) this.parts.progress.readRows++;
          if (pending.length >= chunkRows || pendingChars >= CHUNK_CHARS) {
            const full = pending;
            pending = [];
            pendingChars = 0;
            await handOver(full);
          }
        }
        index++;
      }
      await handOver(pending);
      await handOver([]);
      startSheet([], []);
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
   * Each row and result is let go once written (the arrays are the caller's last hold on the
   * chunk), so its memory can be reclaimed while the rest of the chunk is written.
   */
  private async writeChunk(rows: (Row | null)[], results: (RowResult | null)[], sheet: DetectedSheet): Promise<void> {
    const { writer, columns, timings } = this.parts;
    for (let from = 0; from < rows.length; from += WRITE_SLICE_ROWS) {
      const t = Date.now();
      const to = Math.min(rows.length, from + WRITE_SLICE_ROWS);
      for (let i = from; i < to; i++) {
        writer.writeRow(trimCoordinates(rows[i]!, sheet), columns.valuesFor(results[i]!));
        rows[i] = null;
        results[i] = null;
      }
      if (this.parts.progress) this.parts.progress.writtenRows += to - from;
      await writer.drained?.();
      timings.writeMs += Date.now() - t;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Rows of a sheet, with the time spent waiting for the reader added to readMs. */
  private async *timedRows(sheet: string): AsyncGenerator<Row> {
    const iterator = this.parts.source.rows(sheet)[Symbol.asyncIterator]();
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
