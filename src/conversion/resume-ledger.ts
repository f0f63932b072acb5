import type { DataSource } from 'typeorm';
import type { Conversion, PhaseTimings } from '../entities/Conversion';
import { readChunkCoordinates } from '../detection/coordinates';
import { resultsOf, type GeocodedChunk, type PointResult } from '../geocode/chunk-geocoder';
import type { Geocoder } from '../geocode/geocoder';
import { RESULT_CODE } from '../geocode/result-codes';
import type { Row } from '../reading/table-source';
import { loadResults, packChunk } from './chunk-store';
import type { JobCounters, JobQueue, Lease } from './job-queue';

/** Where a sheet's coordinates are and what system they are in. */
export interface CoordinateColumns {
  xIndex: number;
  yIndex: number;
  srid: number;
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
  /** Rows 0..committed-1 have stored results. */
  private committed: number;
  private readonly counters: JobCounters;

  constructor(
    private readonly deps: LedgerDeps,
    private readonly job: Conversion,
    private readonly lease: Lease,
    private readonly target: { setId: number; maxDistanceMeters: number },
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
  async resultsFor(rows: Row[], columns: CoordinateColumns): Promise<PointResult[]> {
    const first = this.nextRowNo;
    const end = first + rows.length;
    // concat, not push(...): spreading a chunk of 100,000+ results overflows the call stack.
    let results: PointResult[] = [];
    if (first < this.committed) {
      results = results.concat(await loadResults(this.deps.dataSource.manager, this.job.id, first, Math.min(end, this.committed)));
    }
    if (end > this.committed) {
      const from = Math.max(first, this.committed);
      results = results.concat(await this.geocodeAndCommit(rows.slice(from - first), from, columns));
      this.committed = end;
    }
    if (results.length !== rows.length) {
      throw new Error(`Row accounting failed: expected results for rows ${first}..${end - 1}, got ${results.length}`);
    }
    this.nextRowNo = end;
    return results;
  }

  private async geocodeAndCommit(rows: Row[], firstRowNo: number, { xIndex, yIndex, srid }: CoordinateColumns): Promise<PointResult[]> {
    const t = Date.now();
    const geocoded = await this.deps.geocoder.geocode(
      { setId: this.target.setId, srid, maxDistanceMeters: this.target.maxDistanceMeters },
      readChunkCoordinates(rows, xIndex, yIndex, srid),
    );
    const next = addCounts(this.counters, geocoded);
    await this.deps.queue.commitChunk(this.lease, packChunk(firstRowNo, geocoded), next);
    Object.assign(this.counters, next);
    this.timings.geocodeMs += Date.now() - t;
    this.timings.gridMatchedRows = (this.timings.gridMatchedRows ?? 0) + geocoded.gridMatches;
    return resultsOf(geocoded);
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
