import type { DataSource } from 'typeorm';
import type { CatalogCache } from '../boundaries/catalog';
import type { BoundarySetService } from '../boundaries/set-service';
import type { Conversion, DetectedLayout, PhaseTimings } from '../entities/Conversion';
import type { Geocoder } from '../geocode/geocoder';
import { observePhases } from '../metrics/instruments';
import { tooManyRows, withLimits, type SourceLimits } from '../reading/limited-source';
import { detectInputFormat, openTableSource, readHead } from '../reading/open-source';
import type { TableSource } from '../reading/table-source';
import { CsvOutputWriter } from '../writing/csv-writer';
import type { OutputWriter } from '../writing/output-writer';
import { EXCEL_MAX_ROWS, XlsxOutputWriter } from '../writing/xlsx-writer';
import { analyzeFile } from './analyze';
import { AppendedColumns, renamedColumnNote } from './appended-columns';
import { ChunkPipeline } from './chunk-pipeline';
import type { FileStore, LocalFile, OutputTarget } from './file-store';
import type { JobQueue, Lease } from './job-queue';
import { LiveProgress } from './live-progress';
import { ResumeLedger } from './resume-ledger';
import { dropWorkingData } from './working-data';

export interface RunnerDeps {
  dataSource: DataSource;
  queue: JobQueue;
  store: FileStore;
  catalogs: CatalogCache;
  sets: BoundarySetService;
  geocoder: Geocoder;
  chunkRows: number;
  defaultMaxDistanceMeters: number;
  /** Least time between two stores of the rows read and written (PROGRESS_INTERVAL_MS). */
  progressIntervalMs?: number;
  /** MAX_SHEETS, MAX_COLUMNS and MAX_ROWS; unlimited when absent. */
  limits?: SourceLimits & { maxRows: number };
}

/**
 * Runs one claimed conversion from wherever it stopped: analyse the file (once), then stream it
 * again, geocoding chunk by chunk and writing each chunk's rows with their results right away.
 * Each chunk's results are committed with the counters that cover them (JobQueue.commitChunk); a
 * resumed job rewrites the output from the first row, taking committed chunks from the database
 * (ResumeLedger), so every row gets exactly one result whatever happened before.
 */
export class ConversionRunner {
  constructor(private readonly deps: RunnerDeps) {}

  async run(job: Conversion, lease: Lease, signal: AbortSignal): Promise<void> {
    const { queue, store } = this.deps;
    const started = Date.now();
    const timings: PhaseTimings = { analyzeMs: 0, readMs: 0, geocodeMs: 0, writeMs: 0, totalMs: 0, gridMatchedRows: 0 };

    const setId = job.boundarySetId ?? (await this.pinBoundarySet(job, lease));
    const copyStarted = Date.now();
    const input = await store.localCopy(job.uploadKey);
    timings.readMs += Date.now() - copyStarted;
    let outputKey: string;
    try {
      outputKey = await this.convert(job, lease, setId, input, signal, timings);
    } finally {
      await input.release();
    }
    timings.totalMs = Date.now() - started;
    await queue.complete(lease, { outputKey, timings });
    observePhases(timings);
    // Results are in the output now; the upload is no longer needed.
    await dropWorkingData(this.deps.dataSource, store, job);
  }

  /** Analyses the input (once) and streams the whole output into storage; returns the output's key. */
  private async convert(job: Conversion, lease: Lease, setId: number, input: LocalFile, signal: AbortSignal, timings: PhaseTimings): Promise<string> {
    const { queue, store } = this.deps;
    const analyzed = job.detected ?? (await this.analyze(job, lease, input, timings));
    const detected = await this.noteRenamedColumns(analyzed, setId, lease);
    await queue.setPhase(lease, 'GEOCODING');
    const output = openOutput(store, job);
    const writer = createWriter(job, detected, output);
    const progress = new LiveProgress(queue, lease, this.deps.progressIntervalMs ?? 250);
    try {
      const pipeline = await this.pipeline(job, lease, setId, detected, input, writer, signal, timings, progress);
      progress.start();
      await pipeline.writeAllSheets();
      await progress.stop();
      await queue.recordProgress(lease, progress.readRows, progress.writtenRows);
      await queue.setPhase(lease, 'FINISHING');
      const t = Date.now();
      await writer.finish();
      await output.done;
      timings.writeMs += Date.now() - t;
    } catch (err) {
      await progress.stop();
      await writer.abort().catch(() => {});
      await output.abort();
      throw err;
    }
    return output.key;
  }

  /**
   * An appended column whose name a sheet's input already uses gets a distinct one (주소 →
   * 주소(행정구역)); the conversion's notes say so, once, also when the job is resumed.
   */
  private async noteRenamedColumns(detected: DetectedLayout, setId: number, lease: Lease): Promise<DetectedLayout> {
    const columns = new AppendedColumns(await this.deps.catalogs.get(setId));
    const notes = detected.sheets
      .filter((s) => s.xIndex !== null)
      .flatMap((s) => columns.headerFor(s.header).renamed.map((r) => renamedColumnNote(s.name, r.from, r.to)))
      .filter((n) => !detected.notes.includes(n));
    if (notes.length === 0) return detected;
    const next = { ...detected, notes: [...detected.notes, ...notes] };
    await this.deps.queue.recordAnalysis(lease, next, next.sheets.reduce((n, s) => n + s.dataRows, 0));
    return next;
  }

  private limited(source: TableSource): TableSource {
    return this.deps.limits ? withLimits(source, this.deps.limits) : source;
  }

  private async pinBoundarySet(job: Conversion, lease: Lease): Promise<number> {
    const { id } = await this.deps.sets.resolve(job.options.boundarySet);
    await this.deps.queue.pinBoundarySet(lease, id);
    return id;
  }

  private async analyze(job: Conversion, lease: Lease, input: LocalFile, timings: PhaseTimings): Promise<DetectedLayout> {
    const t = Date.now();
    const format = detectInputFormat(job.fileName, await readHead(input.file));
    const source = this.limited(await openTableSource(input.file, job.fileName, format));
    const maxRows = this.deps.limits?.maxRows;
    // Where the rows can be counted without parsing them (CSV), a file over MAX_ROWS is refused
    // before the analysis reads it (the header row not counted).
    if (maxRows !== undefined && source.countRows) {
      const [first] = await source.sheetNames();
      const counted = first === undefined ? null : await source.countRows(first);
      if (counted !== null && counted - 1 > maxRows) throw tooManyRows(counted - 1, maxRows);
    }
    const detected = await analyzeFile(source, job.options);
    timings.analyzeMs = Date.now() - t;
    const totalRows = detected.sheets.reduce((n, s) => n + s.dataRows, 0);
    if (maxRows !== undefined && totalRows > maxRows) throw tooManyRows(totalRows, maxRows);
    await this.deps.queue.recordAnalysis(lease, detected, totalRows);
    return detected;
  }

  private async pipeline(
    job: Conversion,
    lease: Lease,
    setId: number,
    detected: DetectedLayout,
    input: LocalFile,
    writer: OutputWriter,
    signal: AbortSignal,
    timings: PhaseTimings,
    progress: LiveProgress,
  ): Promise<ChunkPipeline> {
    const { geocoder } = this.deps;
    // The set's interior grid: loaded, or built in the background; chunks use it once it is ready.
    geocoder.prepare(setId).catch(() => {});
    const ledger = new ResumeLedger(
      this.deps,
      job,
      lease,
      { setId, maxDistanceMeters: job.options.maxDistanceMeters ?? this.deps.defaultMaxDistanceMeters },
      timings,
    );
    const source = this.limited(
      await openTableSource(input.file, job.fileName, detected.format, {
        format: detected.format,
        encoding: detected.encoding,
        delimiter: detected.delimiter,
      }),
    );
    return new ChunkPipeline({
      detected,
      source,
      writer,
      columns: new AppendedColumns(await this.deps.catalogs.get(setId), job.options.outputLanguage ?? 'KO'),
      chunkRows: this.deps.chunkRows,
      resultsFor: (rows, columns) => ledger.resultsFor(rows, columns),
      signal,
      timings,
      progress,
    });
  }
}

/** A stream into storage for the output; the object appears under its key once whole. */
function openOutput(store: FileStore, job: Conversion): OutputTarget {
  const csv = job.options.outputFormat === 'CSV';
  return store.openOutput(
    store.outputKey(job.id, job.options.outputFormat),
    csv ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  );
}

function createWriter(job: Conversion, detected: DetectedLayout, output: OutputTarget): OutputWriter {
  if (job.options.outputFormat === 'CSV') {
    const converted = detected.sheets.filter((s) => s.xIndex !== null).length;
    return new CsvOutputWriter(output.stream, converted > 1);
  }
  // CSV text becomes typed cells in an XLSX output (a CSV output keeps the text as it was).
  return new XlsxOutputWriter(output.stream, EXCEL_MAX_ROWS, detected.format === 'CSV');
}
