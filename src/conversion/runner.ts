import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { BoundaryCatalog, CatalogCache } from '../boundaries/catalog';
import type { BoundarySetService } from '../boundaries/set-service';
import type { Conversion, DetectedLayout, DetectedSheet, PhaseTimings } from '../entities/Conversion';
import { commitChunk, countResults, geocodeChunk, loadResults, type StoredResult } from '../geocode/chunk-geocoder';
import type { InteriorGridCache } from '../geocode/interior-grid-cache';
import type { ThrottledPublisher } from '../pubsub/throttled-publisher';
import { tooManyRows, withLimits, type SourceLimits } from '../reading/limited-source';
import { detectInputFormat, openTableSource } from '../reading/open-source';
import type { Row, TableSource } from '../reading/table-source';
import { trimCoordinates, typedFromCsv } from '../writing/cell-values';
import { CsvOutputWriter } from '../writing/csv-writer';
import type { OutputWriter } from '../writing/output-writer';
import { XlsxOutputWriter } from '../writing/xlsx-writer';
import { analyzeFile } from './analyze';
import { AppendedColumns } from './appended-columns';
import { readChunkCoordinates } from './coordinates';
import { JobLostError } from './errors';
import type { FileStore } from './file-store';
import { SQL_NOW, type JobQueue } from './job-queue';
import { dropWorkingData } from './working-data';

export interface RunnerDeps {
  dataSource: DataSource;
  queue: JobQueue;
  store: FileStore;
  catalogs: CatalogCache;
  sets: BoundarySetService;
  publisher: ThrottledPublisher;
  chunkRows: number;
  defaultMaxDistanceMeters: number;
  grids: InteriorGridCache;
  /** MAX_SHEETS, MAX_COLUMNS and MAX_ROWS; unlimited when absent. */
  limits?: SourceLimits & { maxRows: number };
}

/** Rows used to size the output columns. */
const SAMPLE_ROWS = 200;
/** Rows written between two turns of the event loop (see writeChunk). */
const WRITE_SLICE_ROWS = 250;

/**
 * Runs one claimed conversion from wherever it stopped: analyse the file (once), then stream it
 * again, geocoding chunk by chunk and writing each chunk's rows with their results right away.
 * A chunk's results and the counters that cover them commit in one transaction; a resumed job
 * rewrites the output from the first row, taking already committed chunks from the database, so
 * every row gets exactly one result whatever happened before.
 */
export class ConversionRunner {
  constructor(private readonly deps: RunnerDeps) {}

  async run(job: Conversion, workerId: string, signal: AbortSignal): Promise<void> {
    const { queue, publisher, store } = this.deps;
    const started = Date.now();
    const timings: PhaseTimings = { analyzeMs: 0, readMs: 0, geocodeMs: 0, writeMs: 0, totalMs: 0, gridMatchedRows: 0 };
    const update = async (set: Record<string, unknown>, announce = true) => {
      if (!(await queue.updateOwned(job.id, workerId, set))) throw new JobLostError(job.id);
      if (announce) publisher.publish(job.id, true);
    };

    const setId = job.boundarySetId ?? (await this.deps.sets.resolve(job.options.boundarySet)).id;
    if (job.boundarySetId === null) await update({ boundary_set_id: setId }, false);

    let detected = job.detected;
    if (!detected) {
      await update({ phase: 'ANALYZING' });
      const t = Date.now();
      const format = detectInputFormat(job.fileName, await store.head(job.uploadPath));
      detected = await analyzeFile(this.limited(await openTableSource(job.uploadPath, job.fileName, format)), job.options);
      timings.analyzeMs = Date.now() - t;
      const totalRows = detected.sheets.reduce((n, s) => n + s.dataRows, 0);
      const maxRows = this.deps.limits?.maxRows;
      if (maxRows !== undefined && totalRows > maxRows) throw tooManyRows(totalRows, maxRows);
      await update({ detected, total_rows: totalRows }, false);
    }

    await update({ phase: 'GEOCODING' });
    const source = this.limited(
      await openTableSource(job.uploadPath, job.fileName, detected.format, {
        format: detected.format,
        encoding: detected.encoding,
        delimiter: detected.delimiter,
      }),
    );
    const outputPath = store.outputPath(job.id, job.options.outputFormat);
    const writer = this.createWriter(job, detected, outputPath);
    const pass = new ConversionPass(this.deps, job, workerId, signal, setId, detected, source, writer, timings);
    try {
      await pass.writeAllSheets();
      await update({ phase: 'FINISHING' });
      const t = Date.now();
      await writer.finish();
      timings.writeMs += Date.now() - t;
    } catch (err) {
      await writer.abort().catch(() => {});
      throw err;
    }
    timings.totalMs = Date.now() - started;
    await update({ status: 'COMPLETED', phase: 'DONE', output_path: outputPath, finished_at: SQL_NOW, timings, worker_id: workerId });
    publisher.done(job.id);
    // Results are in the output now; the upload is no longer needed.
    await dropWorkingData(this.deps.dataSource, store, job);
  }

  private limited(source: TableSource): TableSource {
    return this.deps.limits ? withLimits(source, this.deps.limits) : source;
  }

  private createWriter(job: Conversion, detected: DetectedLayout, outputPath: string): OutputWriter {
    const temp = path.join(path.dirname(outputPath), `.${path.basename(outputPath)}.part`);
    if (job.options.outputFormat === 'CSV') {
      const converted = detected.sheets.filter((s) => s.xIndex !== null).length;
      return new CsvOutputWriter(temp, outputPath, converted > 1);
    }
    return new XlsxOutputWriter(temp, outputPath);
  }
}

/** One pass over the input: reads, geocodes (or reloads) and writes every sheet in order. */
class ConversionPass {
  private nextRowNo = 0;
  private committed: number;
  private readonly counters: { processed_rows: number; matched_rows: number; nearest_rows: number; unmatched_rows: number; invalid_rows: number };
  private readonly columns: Promise<AppendedColumns>;
  private readonly levelsDeepestFirst: Promise<number[]>;
  private readonly catalog: Promise<BoundaryCatalog>;
  /** CSV text becomes typed cells in an XLSX output; a CSV output keeps the text as it was. */
  private readonly typeCells: boolean;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly job: Conversion,
    private readonly workerId: string,
    private readonly signal: AbortSignal,
    private readonly setId: number,
    private readonly detected: DetectedLayout,
    private readonly source: TableSource,
    private readonly writer: OutputWriter,
    private readonly timings: PhaseTimings,
  ) {
    this.committed = job.processedRows;
    this.counters = {
      processed_rows: job.processedRows,
      matched_rows: job.matchedRows,
      nearest_rows: job.nearestRows,
      unmatched_rows: job.unmatchedRows,
      invalid_rows: job.invalidRows,
    };
    const catalog = deps.catalogs.get(setId);
    this.catalog = catalog;
    this.columns = catalog.then((c) => new AppendedColumns(c));
    this.levelsDeepestFirst = catalog.then((c) => c.levelsDeepestFirst);
    // Loads the set's interior grid, or starts building it in the background; chunks use it
    // from the moment it is ready.
    this.levelsDeepestFirst.then(([deepest]) => deps.grids.prepare(setId, deepest)).catch(() => {});
    this.typeCells = detected.format === 'CSV' && job.options.outputFormat === 'XLSX';
  }

  async writeAllSheets(): Promise<void> {
    for (const sheet of this.detected.sheets) {
      this.checkSignal();
      if (sheet.xIndex === null) await this.copySheet(sheet);
      else await this.convertSheet(sheet);
    }
  }

  private async copySheet(sheet: DetectedSheet): Promise<void> {
    this.writer.startSheet({ name: sheet.name, leadingRows: [], header: null, appendedHeader: [], sample: [] });
    let n = 0;
    for await (const row of this.timedRows(sheet.name)) {
      this.writer.writeRow(this.typed(row), null);
      if (++n % WRITE_SLICE_ROWS === 0) await this.writer.drained?.();
    }
    await this.writer.endSheet();
  }

  /**
   * Reads, geocodes and writes one sheet as a bounded pipeline of three chunks: while the
   * database geocodes chunk N, this process writes chunk N-1 and reads chunk N+1, so the
   * database and the parser/writer work at the same time (on two cores, about the sum of their
   * speeds becomes the max). At most one chunk is in the database at a time, which keeps row
   * numbering and the commit order of chunks as before; memory holds at most three chunks.
   */
  private async convertSheet(sheet: DetectedSheet): Promise<void> {
    const columns = await this.columns;
    const leading: Row[] = [];
    let pending: Row[] = [];
    let inFlight: { rows: Row[]; results: Promise<StoredResult[]> } | null = null;
    let started = false;
    // Started with the first geocoded chunk in hand, so the appended columns (주소 …) are sized
    // by their values too; a sheet without data rows is started at the end with its header only.
    const startSheet = (firstRows: Row[], firstResults: StoredResult[]) => {
      if (started) return;
      this.writer.startSheet({
        name: sheet.name,
        leadingRows: leading.map((r) => this.typed(r)),
        header: sheet.header,
        appendedHeader: columns.header,
        sample: firstRows.slice(0, SAMPLE_ROWS).map((r) => this.typed(trimCoordinates(r, sheet))),
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
        const results = this.resultsFor(next, sheet);
        // Awaited on the next hand-over (or in finally); this only keeps a failure that happens
        // meanwhile from counting as an unhandled rejection.
        results.catch(() => {});
        inFlight = { rows: next, results };
      }
      if (previous) {
        startSheet(previous.rows, previousResults!);
        await this.writeChunk(previous.rows, previousResults!, columns, sheet);
      }
    };

    try {
      let index = 0;
      for await (const row of this.timedRows(sheet.name)) {
        if (index < sheet.headerRow) leading.push(row);
        else if (index > sheet.headerRow) {
          pending.push(row);
          if (pending.length >= this.deps.chunkRows) {
            const full = pending;
            pending = [];
            await handOver(full);
          }
        }
        index++;
      }
      await handOver(pending);
      await handOver([]);
      startSheet([], []);
    } finally {
      // Never leave a chunk transaction running behind a failure.
      await (inFlight as { results: Promise<unknown> } | null)?.results.catch(() => {});
    }
    await this.writer.endSheet();
  }

  /**
   * Writes a geocoded chunk in slices, yielding to the event loop between them: the chunk in the
   * database is a statement or two, and each is only sent once this process gets to handle the
   * previous one's reply. Writing 100,000 rows in one go would stall it for two seconds.
   * Each row and result is let go once written (the arrays are the caller's last hold on the
   * chunk), so its memory can be reclaimed while the rest of the chunk is written.
   */
  private async writeChunk(rows: (Row | null)[], results: (StoredResult | null)[], columns: AppendedColumns, sheet: DetectedSheet): Promise<void> {
    for (let from = 0; from < rows.length; from += WRITE_SLICE_ROWS) {
      const t = Date.now();
      const to = Math.min(rows.length, from + WRITE_SLICE_ROWS);
      for (let i = from; i < to; i++) {
        this.writer.writeRow(this.typed(trimCoordinates(rows[i]!, sheet)), columns.valuesFor(results[i]!));
        rows[i] = null;
        results[i] = null;
      }
      await this.writer.drained?.();
      this.timings.writeMs += Date.now() - t;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Results for the next rows, in order: reloaded for rows an earlier attempt committed,
   * geocoded and committed (with the counters, in one transaction) for the rest.
   */
  private async resultsFor(rows: Row[], sheet: DetectedSheet): Promise<StoredResult[]> {
    this.checkSignal();
    const first = this.nextRowNo;
    const end = first + rows.length;
    // concat, not push(...): spreading a chunk of 100,000+ results overflows the call stack.
    let results: StoredResult[] = [];
    if (first < this.committed) {
      results = results.concat(await loadResults(this.deps.dataSource.manager, this.job.id, first, Math.min(end, this.committed)));
    }
    if (end > this.committed) {
      const from = Math.max(first, this.committed);
      const t = Date.now();
      results = results.concat(await this.geocodeAndCommit(rows.slice(from - first), from, sheet));
      this.timings.geocodeMs += Date.now() - t;
      this.committed = end;
      this.deps.publisher.publish(this.job.id);
    }
    if (results.length !== rows.length || results[0]?.rowNo !== first) {
      throw new Error(`Row accounting failed: expected results for rows ${first}..${end - 1}, got ${results.length}`);
    }
    this.nextRowNo = end;
    return results;
  }

  private async geocodeAndCommit(rows: Row[], firstRowNo: number, sheet: DetectedSheet): Promise<StoredResult[]> {
    // Sheets of one workbook may be in different systems; layouts stored before that have one.
    const srid = sheet.srid ?? this.detected.srid;
    const input = { firstRowNo, ...readChunkCoordinates(rows, sheet.xIndex!, sheet.yIndex!, srid) };
    const levelsDeepestFirst = await this.levelsDeepestFirst;
    const db = this.deps.dataSource.manager;
    const geocoded = await geocodeChunk(db, {
      setId: this.setId,
      srid,
      maxDistanceMeters: this.job.options.maxDistanceMeters ?? this.deps.defaultMaxDistanceMeters,
      levelsDeepestFirst,
      input,
      grid: this.deps.grids.get(this.setId, levelsDeepestFirst[0]),
      boxes: (await this.catalog).boxes(levelsDeepestFirst[0]),
    });
    this.timings.gridMatchedRows = (this.timings.gridMatchedRows ?? 0) + geocoded.gridMatches;
    const c = countResults(geocoded.results);
    const next = {
      processed_rows: this.counters.processed_rows + geocoded.results.length,
      matched_rows: this.counters.matched_rows + c.matched,
      nearest_rows: this.counters.nearest_rows + c.nearest,
      unmatched_rows: this.counters.unmatched_rows + c.unmatched,
      invalid_rows: this.counters.invalid_rows + c.invalid,
    };
    // The results and the counters that cover them are stored in one statement.
    if (!(await commitChunk(db, geocoded, this.deps.queue.ownedUpdate(this.job.id, this.workerId, next)))) throw new JobLostError(this.job.id);
    Object.assign(this.counters, next);
    return geocoded.results;
  }

  private typed(row: Row): Row {
    return this.typeCells ? row.map((c) => (typeof c === 'string' ? typedFromCsv(c) : c)) : row;
  }

  /** Rows of a sheet, with the time spent waiting for the reader added to readMs. */
  private async *timedRows(sheet: string): AsyncGenerator<Row> {
    const iterator = this.source.rows(sheet)[Symbol.asyncIterator]();
    for (;;) {
      const t = Date.now();
      const next = await iterator.next();
      this.timings.readMs += Date.now() - t;
      if (next.done) return;
      yield next.value;
    }
  }

  private checkSignal(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }
}
