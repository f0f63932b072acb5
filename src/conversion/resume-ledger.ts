import type { DataSource } from 'typeorm';
import type { Conversion, PhaseTimings } from '../entities/Conversion';
import { readChunkCoordinates } from '../detection/coordinates';
import { joinChunks, type GeocodedChunk } from '../geocode/chunk-geocoder';
import type { Geocoder } from '../geocode/geocoder';
import { geocodeSets, type DatedPlan } from './dated-geocoding';
import { RESULT_CODE } from '../geocode/result-codes';
import { countRows } from '../metrics/instruments';
import type { ChunkRows } from '../reading/table-source';
import { loadSetResults, packChunk } from './chunk-store';
import { storeSummary, summarizeChunk } from './chunk-summaries';
import type { JobCounters, JobQueue, Lease } from './job-queue';

/** Where a sheet's coordinates are and what system they are in. */
export interface CoordinateColumns {
  xIndex: number;
  yIndex: number;
  srid: number;
  /** The sheet, and the 0-based index of its header row (-1 without one): for problem rows' row numbers. */
  sheet: string;
  headerRow: number;
  /** The column that dates each row, for dated boundary versions (absent: none). */
  dateIndex?: number | null;
}

/**
 * A chunk's outcomes: per boundary set of the conversion, column-wise as geocoded (row i is
 * position i), and per row which versions it used (경계기준) when the output shows that.
 */
export interface ChunkResults {
  sets: GeocodedChunk[];
  basis: string[] | null;
}

export interface LedgerDeps {
  dataSource: DataSource;
  queue: JobQueue;
  geocoder: Geocoder;
}

/**
 * Which rows of a job have their results: the rows an earlier attempt committed, read back from
 * the database, and the new ones, geocoded and committed (with the counters that cover them)
 * here. Rows are numbered across the converted sheets in the order the pass meets them, so a
 * resumed job that rewrites its output from the first row gives every row exactly one result.
 */
export class ResumeLedger {
  private nextRowNo = 0;
  /** The sheet being read, and the number of its first data row across the pass. */
  private sheet: { name: string; firstRowNo: number } | null = null;
  /** Rows 0..committed-1 have stored results. */
  private committed: number;
  private readonly counters: JobCounters;

  constructor(
    private readonly deps: LedgerDeps,
    private readonly job: Conversion,
    private readonly lease: Lease,
    private readonly target: { plan: DatedPlan; maxDistanceMeters: number },
    private readonly timings: PhaseTimings,
  ) {
    this.committed = job.processedRows;
    this.counters = {
      processedRows: job.processedRows,
      matchedRows: job.matchedRows,
      nearestRows: job.nearestRows,
      unmatchedRows: job.unmatchedRows,
      invalidRows: job.invalidRows,
    };
  }

  /** Results for the next rows, in order: reloaded where an earlier attempt committed them, else geocoded and committed. */
  async resultsFor(rows: ChunkRows, columns: CoordinateColumns): Promise<ChunkResults> {
    const first = this.nextRowNo;
    const end = first + rows.length;
    if (this.sheet?.name !== columns.sheet) this.sheet = { name: columns.sheet, firstRowNo: first };
    const parts: GeocodedChunk[][] = [];
    const setCount = this.target.plan.plan.sets.length;
    if (first < this.committed) {
      parts.push(await loadSetResults(this.deps.dataSource.manager, this.job.id, first, Math.min(end, this.committed), setCount));
    }
    if (end > this.committed) {
      const from = Math.max(first, this.committed);
      parts.push(await this.geocodeAndCommit(from === first ? rows : rows.slice(from - first), from, columns));
      this.committed = end;
    }
    const sets = parts.length === 1 ? parts[0] : Array.from({ length: setCount }, (_, g) => joinChunks(parts.map((p) => p[g])));
    if (sets[0].rowCount !== rows.length) {
      throw new Error(`Row accounting failed: expected results for rows ${first}..${end - 1}, got ${sets[0].rowCount}`);
    }
    this.nextRowNo = end;
    // Which versions a row used follows from its date, so it is worked out again, never stored.
    return { sets, basis: this.target.plan.basisOf(rows, columns.dateIndex ?? null) };
  }

  private async geocodeAndCommit(rows: ChunkRows, firstRowNo: number, { xIndex, yIndex, srid, sheet, headerRow, dateIndex }: CoordinateColumns): Promise<GeocodedChunk[]> {
    const t = Date.now();
    const input = readChunkCoordinates(rows, xIndex, yIndex, srid);
    // One chunk per set, each row answered by its version; counts and summaries follow the first set.
    const bySet = await geocodeSets(this.deps.geocoder, this.target.plan, { srid, maxDistanceMeters: this.target.maxDistanceMeters }, input, rows, dateIndex ?? null);
    const geocoded = bySet[0];
    const next = addCounts(this.counters, geocoded);
    // Counts by region and the rows that need a look, stored with the chunk (chunk-summaries.ts).
    // A spreadsheet shows the header as row headerRow + 1, so data row k of the sheet as k + headerRow + 2.
    const summary = summarizeChunk(firstRowNo, geocoded, rows, input.xs, input.ys, {
      sheet,
      srid,
      firstRowNumber: firstRowNo - this.sheet!.firstRowNo + headerRow + 2,
      xIndex,
      yIndex,
    });
    await this.deps.queue.commitChunk(this.lease, packChunk(firstRowNo, bySet), next, storeSummary(summary));
    countRows({ matched: next.matchedRows - this.counters.matchedRows, nearest: next.nearestRows - this.counters.nearestRows, unmatched: next.unmatchedRows - this.counters.unmatchedRows, invalid: next.invalidRows - this.counters.invalidRows });
    Object.assign(this.counters, next);
    this.timings.geocodeMs += Date.now() - t;
    this.timings.gridMatchedRows = (this.timings.gridMatchedRows ?? 0) + geocoded.gridMatches;
    return bySet;
  }
}

function addCounts(counters: JobCounters, chunk: GeocodedChunk): JobCounters {
  const next = { ...counters, processedRows: counters.processedRows + chunk.rowCount };
  for (const code of chunk.results) {
    if (code === RESULT_CODE.OK) next.matchedRows++;
    else if (code === RESULT_CODE.NEAREST) {
      next.matchedRows++;
      next.nearestRows++;
    } else if (code === RESULT_CODE.NO_MATCH) next.unmatchedRows++;
    else next.invalidRows++;
  }
  return next;
}
