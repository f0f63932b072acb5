import type { DataSource } from 'typeorm';
import type { CatalogCache } from '../boundaries/catalog';
import type { BoundarySetService } from '../boundaries/set-service';
import { versionAt } from '../boundaries/set-service';
import type { BoundaryPlan, Conversion, DetectedLayout, PhaseTimings } from '../entities/Conversion';
import type { Geocoder } from '../geocode/geocoder';
import { observePhases } from '../metrics/instruments';
import { tooManyRows, withLimits, type SourceLimits } from '../reading/limited-source';
import { detectInputFormat, openTableSource, readHead } from '../reading/open-source';
import type { TableSource } from '../reading/table-source';
import { CsvOutputWriter } from '../writing/csv-writer';
import type { OutputWriter } from '../writing/output-writer';
import { EXCEL_MAX_ROWS, XlsxOutputWriter } from '../writing/xlsx-writer';
import { XlsxThreadWriter } from '../writing/xlsx-thread-writer';
import { analyzeFile } from './analyze';
import { AppendedColumns, renamedColumnNote } from './appended-columns';
import { ChunkPipeline } from './chunk-pipeline';
import { DatedPlan, resolveBoundaryPlan } from './dated-geocoding';
import { JobLostError } from './errors';
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
  /** Build XLSX outputs in a worker thread (XLSX_WRITER_THREAD). */
  xlsxWriterThread?: boolean;
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

    const plan = await this.boundaryPlan(job, lease);
    // Every temporary file of this run lives in the conversion's folder, removed however the run
    // ends (what an attempt killed with its process left there goes with it too; see FileStore.sweep).
    await store.releaseWork(job.id);
    const copyStarted = Date.now();
    let outputKey: string;
    try {
      const input = await store.localCopy(job.uploadKey, job.id);
      timings.readMs += Date.now() - copyStarted;
      try {
        outputKey = await this.convert(job, lease, plan, input, signal, timings);
      } finally {
        await input.release();
      }
    } finally {
      // A lease lost to another worker (not a cancel) leaves the folder to that worker: this run's
      // own files are gone already (input released, output aborted). The worker removes the
      // folder of a cancelled or deleted conversion.
      if (signal.aborted && signal.reason instanceof JobLostError) store.forgetWork(job.id);
      else await store.releaseWork(job.id);
    }
    timings.totalMs = Date.now() - started;
    await queue.complete(lease, { outputKey, timings });
    observePhases(timings);
    // Results are in the output now; the upload is no longer needed.
    await dropWorkingData(this.deps.dataSource, store, job);
  }

  /** Analyses the input (once) and streams the whole output into storage; returns the output's key. */
  private async convert(job: Conversion, lease: Lease, plan: BoundaryPlan, input: LocalFile, signal: AbortSignal, timings: PhaseTimings): Promise<string> {
    const { queue, store } = this.deps;
    // The analysis's source (and its reading worker, still warm) reads the rows too: the same
    // settings, and a second worker's start (~50–170 ms) less for every conversion.
    let analysisSource: TableSource | null = null;
    const analyzed =
      job.detected ??
      (await this.analyze(job, lease, input, timings, (source) => {
        analysisSource = source;
      }));
    const dated = new DatedPlan(plan, job.options.asOf ?? null, showsBasis(plan, analyzed, job.options.asOf));
    const columns = await this.columns(dated, job.options.outputLanguage ?? 'KO');
    const detected = await this.noteRenamedColumns({ ...analyzed, boundaryPlan: plan, notes: [...analyzed.notes, ...boundaryAgeNotes(plan, analyzed)] }, columns, lease, !analyzed.boundaryPlan);
    await queue.setPhase(lease, 'GEOCODING');
    const output = openOutput(store, job, await store.workFolder(job.id));
    const writer = createWriter(job, detected, output, this.deps.xlsxWriterThread ?? false);
    const progress = new LiveProgress(queue, lease, this.deps.progressIntervalMs ?? 250);
    try {
      const pipeline = await this.pipeline(job, lease, dated, columns, detected, input, writer, signal, timings, progress, analysisSource);
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
  private async noteRenamedColumns(detected: DetectedLayout, columns: AppendedColumns, lease: Lease, record: boolean): Promise<DetectedLayout> {
    const notes = detected.sheets
      .filter((s) => s.xIndex !== null)
      .flatMap((s) => columns.headerFor(s.header).renamed.map((r) => renamedColumnNote(s.name, r.from, r.to)))
      .filter((n) => !detected.notes.includes(n));
    if (notes.length === 0 && !record) return detected;
    const next = { ...detected, notes: [...detected.notes, ...notes] };
    await this.deps.queue.recordAnalysis(lease, next, next.sheets.reduce((n, s) => n + s.dataRows, 0));
    return next;
  }

  private limited(source: TableSource): TableSource {
    return this.deps.limits ? withLimits(source, this.deps.limits) : source;
  }

  /**
   * The sets (and their versions) the conversion uses: as pinned by an earlier attempt, else
   * resolved from the options now. The conversion's own set id is the first set's version valid
   * on asOf (the newest without it): what regionCounts, problemRows and the page name.
   */
  private async boundaryPlan(job: Conversion, lease: Lease): Promise<BoundaryPlan> {
    if (job.detected?.boundaryPlan) return job.detected.boundaryPlan;
    // Stored before several sets: the one pinned set.
    if (job.detected && job.boundarySetId !== null) return { sets: [{ name: '', label: null, versions: [{ id: job.boundarySetId, validFrom: null }] }] };
    const plan = await resolveBoundaryPlan(this.deps.sets, job.options);
    // Pinned by an earlier attempt before a re-import switched versions: the first set stays on the pin.
    const pinned = job.boundarySetId;
    if (pinned !== null && !plan.sets[0].versions.some((v) => v.id === pinned)) {
      plan.sets[0] = { ...plan.sets[0], versions: [{ id: pinned, validFrom: null }] };
    }
    if (job.boundarySetId === null) await this.deps.queue.pinBoundarySet(lease, versionAt(plan.sets[0].versions, job.options.asOf).id);
    return plan;
  }

  /** The appended columns: each set's group (all its versions' catalogs), and 경계기준 when rows are dated. */
  private async columns(dated: DatedPlan, language: 'KO' | 'EN'): Promise<AppendedColumns> {
    const groups = [];
    for (const set of dated.plan.sets) {
      groups.push({ catalogs: await Promise.all(set.versions.map((v) => this.deps.catalogs.get(v.id))), label: set.label ?? set.name });
    }
    return new AppendedColumns(groups, language, dated.showsBasis);
  }

  private async analyze(job: Conversion, lease: Lease, input: LocalFile, timings: PhaseTimings, opened: (source: TableSource) => void): Promise<DetectedLayout> {
    const t = Date.now();
    const format = detectInputFormat(job.fileName, await readHead(input.file));
    const source = this.limited(await openTableSource(input.file, job.fileName, format));
    opened(source);
    const maxRows = this.deps.limits?.maxRows;
    // Where the rows can be counted without parsing them (CSV), a file over MAX_ROWS is refused
    // before the analysis reads it (the header row not counted).
    if (maxRows !== undefined && source.countRows) {
      const [first] = await source.sheetNames();
      const counted = first === undefined ? null : await source.countRows(first);
      if (counted !== null && counted - 1 > maxRows) throw tooManyRows(counted - 1, maxRows);
    }
    // A workbook says how many rows each sheet uses (<dimension ref="A1:C9000000">): one that
    // claims more than MAX_ROWS (a header row per sheet not counted) is refused before its rows
    // are read. A sheet that claims fewer than it has is still caught after the analysis.
    if (maxRows !== undefined && source.declaredRows) {
      const wanted = job.options.sheets?.length ? job.options.sheets : null;
      let declared = 0;
      for (const name of await source.sheetNames()) {
        if (wanted && !wanted.includes(name)) continue;
        declared += Math.max(0, ((await source.declaredRows(name)) ?? 0) - 1);
        if (declared > maxRows) throw tooManyRows(declared, maxRows, 'declared');
      }
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
    dated: DatedPlan,
    columns: AppendedColumns,
    detected: DetectedLayout,
    input: LocalFile,
    writer: OutputWriter,
    signal: AbortSignal,
    timings: PhaseTimings,
    progress: LiveProgress,
    analysisSource: TableSource | null,
  ): Promise<ChunkPipeline> {
    // Interior grids: the geocoder loads (or builds) each version's as rows first use it.
    const ledger = new ResumeLedger(
      this.deps,
      job,
      lease,
      { plan: dated, maxDistanceMeters: job.options.maxDistanceMeters ?? this.deps.defaultMaxDistanceMeters },
      timings,
    );
    const source =
      analysisSource ??
      this.limited(
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
      columns,
      chunkRows: chunkRowsFor(detected, this.deps.chunkRows),
      resultsFor: (rows, columns) => ledger.resultsFor(rows, columns),
      signal,
      timings,
      progress,
    });
  }
}

/**
 * Rows are geocoded a quarter of the file at a time, between MIN_CHUNK_ROWS and CHUNK_ROWS: a
 * chunk's PostGIS statement has a fixed cost (its candidate polygons), so big files want big
 * chunks, but a file of two chunks reads, geocodes and writes mostly one after the other.
 * 200,000 rows in chunks of 50,000 took 3.10 s, in chunks of 100,000 4.01 s; 100,000 rows in
 * chunks of 25,000 2.21 s, in one 2.45 s (README, Performance). A CHUNK_ROWS below the minimum
 * is taken as it is.
 */
const MIN_CHUNK_ROWS = 25_000;

function chunkRowsFor(detected: DetectedLayout, configured: number): number {
  const rows = detected.sheets.reduce((n, s) => n + (s.xIndex === null ? 0 : s.dataRows), 0);
  return Math.min(configured, Math.max(MIN_CHUNK_ROWS, Math.ceil(rows / 4)));
}

/** Years between the rows' dates and the newest boundaries from which the page warns. */
const STALE_YEARS = 2;

/**
 * A warning when the rows are dated years after the newest version of the first set: the
 * boundaries are older than the data and changes since (merged cities, abolished 구) are missing.
 * The page shows notes starting with ⚠ as warnings.
 */
function boundaryAgeNotes(plan: BoundaryPlan, detected: DetectedLayout): string[] {
  const newest = plan.sets[0].versions.at(-1)?.validFrom;
  const latest = detected.sheets.map((s) => s.latestDay ?? '').sort().at(-1);
  if (!newest || !latest || detected.notes.some((n) => n.startsWith('⚠'))) return [];
  const years = Number(latest.slice(0, 4)) - Number(newest.slice(0, 4));
  if (years < STALE_YEARS) return [];
  return [
    `⚠ 행의 날짜(${latest}까지)가 가장 새로운 경계(${plan.sets[0].name} ${newest})보다 ${years}년 뒤입니다. 그 사이 바뀐 행정구역은 반영되지 않습니다. 최신 경계는 도로명주소 사이트의 TL_SCCO_* 파일을 불러와 쓰세요.`,
  ];
}

/** Rows are dated (a 경계기준 column) when a set has versions and a date column or asOf picks among them. */
function showsBasis(plan: BoundaryPlan, detected: DetectedLayout, asOf: string | undefined): boolean {
  const datedSet = plan.sets.some((s) => s.versions.length > 1);
  return datedSet && (Boolean(asOf) || detected.sheets.some((s) => s.xIndex !== null && s.dateIndex != null));
}

/** A stream into storage for the output; the object appears under its key once whole. */
function openOutput(store: FileStore, job: Conversion, partDir: string): OutputTarget {
  const csv = job.options.outputFormat === 'CSV';
  return store.openOutput(
    store.outputKey(job.id, job.options.outputFormat),
    csv ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    partDir,
  );
}

function createWriter(job: Conversion, detected: DetectedLayout, output: OutputTarget, xlsxThread: boolean): OutputWriter {
  if (job.options.outputFormat === 'CSV') {
    const converted = detected.sheets.filter((s) => s.xIndex !== null).length;
    return new CsvOutputWriter(output.stream, converted > 1);
  }
  // CSV text becomes typed cells in an XLSX output (a CSV output keeps the text as it was).
  const csvText = detected.format === 'CSV';
  return xlsxThread ? new XlsxThreadWriter(output.stream, EXCEL_MAX_ROWS, csvText) : new XlsxOutputWriter(output.stream, EXCEL_MAX_ROWS, csvText);
}
