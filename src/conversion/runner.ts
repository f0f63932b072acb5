import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { CatalogCache } from '../boundaries/catalog';
import type { BoundarySetService } from '../boundaries/set-service';
import type { Conversion, DetectedLayout, PhaseTimings } from '../entities/Conversion';
import type { Geocoder } from '../geocode/geocoder';
import { tooManyRows, withLimits, type SourceLimits } from '../reading/limited-source';
import { detectInputFormat, openTableSource } from '../reading/open-source';
import type { TableSource } from '../reading/table-source';
import { CsvOutputWriter } from '../writing/csv-writer';
import type { OutputWriter } from '../writing/output-writer';
import { XlsxOutputWriter } from '../writing/xlsx-writer';
import { analyzeFile } from './analyze';
import { AppendedColumns } from './appended-columns';
import { ChunkPipeline } from './chunk-pipeline';
import type { FileStore } from './file-store';
import type { JobQueue, Lease } from './job-queue';
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
    const detected = job.detected ?? (await this.analyze(job, lease, timings));
    await queue.setPhase(lease, 'GEOCODING');
    const outputPath = store.outputPath(job.id, job.options.outputFormat);
    const writer = createWriter(job, detected, outputPath);
    try {
      await (await this.pipeline(job, lease, setId, detected, writer, signal, timings)).writeAllSheets();
      await queue.setPhase(lease, 'FINISHING');
      const t = Date.now();
      await writer.finish();
      timings.writeMs += Date.now() - t;
    } catch (err) {
      await writer.abort().catch(() => {});
      throw err;
    }
    timings.totalMs = Date.now() - started;
    await queue.complete(lease, { outputPath, timings });
    // Results are in the output now; the upload is no longer needed.
    await dropWorkingData(this.deps.dataSource, store, job);
  }

  private limited(source: TableSource): TableSource {
    return this.deps.limits ? withLimits(source, this.deps.limits) : source;
  }

  private async pinBoundarySet(job: Conversion, lease: Lease): Promise<number> {
    const { id } = await this.deps.sets.resolve(job.options.boundarySet);
    await this.deps.queue.pinBoundarySet(lease, id);
    return id;
  }

  private async analyze(job: Conversion, lease: Lease, timings: PhaseTimings): Promise<DetectedLayout> {
    const { store } = this.deps;
    const t = Date.now();
    const format = detectInputFormat(job.fileName, await store.head(job.uploadPath));
    const detected = await analyzeFile(this.limited(await openTableSource(job.uploadPath, job.fileName, format)), job.options);
    timings.analyzeMs = Date.now() - t;
    const totalRows = detected.sheets.reduce((n, s) => n + s.dataRows, 0);
    const maxRows = this.deps.limits?.maxRows;
    if (maxRows !== undefined && totalRows > maxRows) throw tooManyRows(totalRows, maxRows);
    await this.deps.queue.recordAnalysis(lease, detected, totalRows);
    return detected;
  }

  private async pipeline(
    job: Conversion,
    lease: Lease,
    setId: number,
    detected: DetectedLayout,
    writer: OutputWriter,
    signal: AbortSignal,
    timings: PhaseTimings,
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
      await openTableSource(job.uploadPath, job.fileName, detected.format, {
        format: detected.format,
        encoding: detected.encoding,
        delimiter: detected.delimiter,
      }),
    );
    return new ChunkPipeline({
      detected,
      source,
      writer,
      columns: new AppendedColumns(await this.deps.catalogs.get(setId)),
      chunkRows: this.deps.chunkRows,
      typeCells: detected.format === 'CSV' && job.options.outputFormat === 'XLSX',
      resultsFor: (rows, columns) => ledger.resultsFor(rows, columns),
      signal,
      timings,
    });
  }
}

function createWriter(job: Conversion, detected: DetectedLayout, outputPath: string): OutputWriter {
  const temp = path.join(path.dirname(outputPath), `.${path.basename(outputPath)}.part`);
  if (job.options.outputFormat === 'CSV') {
    const converted = detected.sheets.filter((s) => s.xIndex !== null).length;
    return new CsvOutputWriter(temp, outputPath, converted > 1);
  }
  return new XlsxOutputWriter(temp, outputPath);
}
