import type { DataSource } from 'typeorm';
import { Conversion, type DetectedLayout, type PhaseTimings, type StoredConversionOptions } from '../entities/Conversion';
import type { ThrottledPublisher } from '../pubsub/throttled-publisher';
import type { PackedChunk } from './chunk-store';
import type { AlsoStored } from './chunk-summaries';
import { JobLostError } from './errors';

const WORKER_CRASHED_MESSAGE =
  '이 파일을 변환하던 서버 프로세스가 두 번 멈췄습니다(메모리 부족 등). 같은 파일로는 다시 시도하지 않습니다: 파일을 나누거나 필요한 시트와 열만 남겨 다시 올려 주세요. · ' +
  'The process converting this file stopped twice (out of memory or similar); it is not tried again. Split the file or keep only the sheets and columns you need, and upload it again.';

/** A worker's hold on a claimed job: the job's id and the worker that claimed it. */
export interface Lease {
  readonly jobId: string;
  readonly workerId: string;
}

/** What a new job needs; everything else starts empty. */
export interface NewJob {
  id: string;
  fileName: string;
  uploadKey: string;
  fileSize: number;
  options: StoredConversionOptions;
  /** Name of the API key that created it; null without keys. */
  owner?: string | null;
}

/** A job that just became EXPIRED, with the files still to delete. */
export interface ExpiredJob {
  id: string;
  uploadKey: string | null;
  outputKey: string | null;
}

/** Something that runs a query: the data source, or a transaction's entity manager. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** The row counts a job has committed, each chunk's results with the counters that cover them. */
export interface JobCounters {
  processedRows: number;
  matchedRows: number;
  nearestRows: number;
  unmatchedRows: number;
  invalidRows: number;
}

/** The phases of a RUNNING job a worker moves it through (claim sets the first one). */
export type WorkingPhase = 'ANALYZING' | 'GEOCODING' | 'FINISHING';

/**
 * The lease holds: the job is RUNNING and claimed by this worker. A cancel, a failure or a
 * takeover after the lease ran out ends it; every write of a worker is guarded by it.
 */
const HELD = `id = $1 AND worker_id = $2 AND status = 'RUNNING'`;

/**
 * The conversions table is the job queue (in the manner of graphile-worker): a worker claims the
 * oldest claimable job with FOR UPDATE SKIP LOCKED, so any number of workers in any number of
 * processes never take the same job, and holds it with a lease it renews. A job whose lease ran
 * out (its process died) becomes claimable again and resumes after its last committed chunk.
 *
 * Every change of a job's status or phase is one verb here, and each tells the job's watchers
 * (phase and status changes at once, chunk progress throttled):
 *
 *   enqueue → QUEUED ── claim ──→ RUNNING ── complete ──→ COMPLETED
 *                 │                 │  ╰──── fail ──────→ FAILED
 *                 ╰──── cancel ─────┴──────────────────→ CANCELLED
 *   COMPLETED ── expireCompletedBefore (retention) ──→ EXPIRED ←── expire (deleteConversion, any status)
 *
 * and, while RUNNING: renew, setPhase, pinBoundarySet, recordAnalysis, commitChunk, release.
 */
export class JobQueue {
  constructor(
    private readonly dataSource: DataSource,
    private readonly leaseSeconds: number,
    private readonly publisher: ThrottledPublisher,
  ) {}

  /** Stores a new QUEUED job (in the caller's transaction when given one). */
  async enqueue(job: NewJob, tx: Queryable = this.dataSource): Promise<void> {
    await tx.query(
      `INSERT INTO conversions (id, file_name, upload_key, file_size, options, status, phase, owner)
       VALUES ($1, $2, $3, $4, $5, 'QUEUED', 'WAITING', $6)`,
      [job.id, job.fileName, job.uploadKey, job.fileSize, JSON.stringify(job.options), job.owner ?? null],
    );
  }

  /**
   * Takes the oldest QUEUED job, or a RUNNING one whose lease ran out, for this worker. A job
   * whose process died while it held it (its lease ran out or was given back for a dead process,
   * its phase still a working one) comes after every other claimable job, so a file that kills
   * the process cannot hold the queue up at each start; claimed that way a second time (it has
   * then ended two processes) it is FAILED with WORKER_CRASHED instead of being tried again.
   */
  async claim(workerId: string): Promise<Conversion | null> {
    for (;;) {
      const rows: { id: string; crashed: boolean; attempts: number }[] = await this.dataSource.query(
        `WITH pick AS (
           SELECT id, (status = 'RUNNING' AND phase <> 'WAITING') AS crashed FROM conversions
            WHERE status = 'QUEUED' OR (status = 'RUNNING' AND lease_expires_at < now())
            ORDER BY (status = 'RUNNING' AND phase <> 'WAITING'), created_at, id
            FOR UPDATE SKIP LOCKED
            LIMIT 1)
         UPDATE conversions c
            SET status = 'RUNNING', worker_id = $1, lease_expires_at = now() + make_interval(secs => $2),
                phase = CASE WHEN c.detected IS NULL THEN 'ANALYZING' ELSE 'GEOCODING' END,
                attempts = c.attempts + 1, started_at = coalesce(c.started_at, now()), updated_at = now()
           FROM pick
          WHERE c.id = pick.id
          RETURNING c.id, pick.crashed, c.attempts`,
        [workerId, this.leaseSeconds],
      );
      const claimed = firstRows<{ id: string; crashed: boolean; attempts: number }>(rows)[0];
      if (!claimed) return null;
      if (claimed.crashed && Number(claimed.attempts) >= 3) {
        await this.fail({ jobId: claimed.id, workerId }, WORKER_CRASHED_MESSAGE, 'WORKER_CRASHED');
        continue;
      }
      this.publisher.publish(claimed.id, true);
      return this.dataSource.getRepository(Conversion).findOneBy({ id: claimed.id });
    }
  }

  /** Extends the lease; false when it no longer holds (cancelled, failed or taken over). */
  async renew(lease: Lease): Promise<boolean> {
    const rows = await this.dataSource.query(
      `UPDATE conversions SET lease_expires_at = now() + make_interval(secs => $3) WHERE ${HELD} RETURNING id`,
      [lease.jobId, lease.workerId, this.leaseSeconds],
    );
    return firstRows(rows).length > 0;
  }

  /** Moves a running job to its next phase. */
  async setPhase(lease: Lease, phase: WorkingPhase): Promise<void> {
    await this.updateHeld(lease, `phase = $4`, [phase]);
    this.publisher.publish(lease.jobId, true);
  }

  /** Records the boundary set version the job runs on, so a resumed attempt uses the same one. */
  async pinBoundarySet(lease: Lease, setId: number): Promise<void> {
    await this.updateHeld(lease, `boundary_set_id = $4`, [setId]);
  }

  /** Records what the analysis decided, so a resumed attempt reads the file the same way. */
  async recordAnalysis(lease: Lease, detected: DetectedLayout, totalRows: number): Promise<void> {
    await this.updateHeld(lease, `detected = $4, total_rows = $5`, [JSON.stringify(detected), totalRows]);
  }

  /**
   * Stores a chunk's results and moves the job's counters past them, in one statement: both
   * happen or neither, so a resumed job finds every row either committed with its counters or
   * not at all. Nothing is stored once the lease no longer holds (JobLostError).
   */
  async commitChunk(lease: Lease, chunk: PackedChunk, counters: JobCounters, also?: AlsoStored): Promise<void> {
    const params: unknown[] = [];
    const extra = also?.((value) => `$${15 + params.push(value)}`) ?? [];
    const rows: unknown[] = await this.dataSource.query(
      `WITH held AS (
         UPDATE conversions
            SET processed_rows = $4, matched_rows = $5, nearest_rows = $6, unmatched_rows = $7, invalid_rows = $8,
                updated_at = now(), lease_expires_at = now() + make_interval(secs => $3)
          WHERE ${HELD} RETURNING id)${extra.map((cte) => `, ${cte}`).join('')}
       INSERT INTO conversion_chunks (conversion_id, first_row, row_count, boundary_ids, results, note_offsets, note_distances, note_reasons)
       SELECT held.id, $9::integer, $10::integer, $11::bytea, $12::bytea, $13::integer[], $14::real[], $15::text[]
         FROM held
       RETURNING first_row`,
      [
        lease.jobId,
        lease.workerId,
        this.leaseSeconds,
        counters.processedRows,
        counters.matchedRows,
        counters.nearestRows,
        counters.unmatchedRows,
        counters.invalidRows,
        chunk.firstRow,
        chunk.rowCount,
        chunk.boundaryIds,
        chunk.results,
        chunk.noteOffsets,
        chunk.noteDistances,
        chunk.noteReasons,
        ...params,
      ],
    );
    if (firstRows(rows).length === 0) throw new JobLostError(lease.jobId);
    this.publisher.publish(lease.jobId);
  }

  /**
   * The rows read and written so far (progress within a chunk); false when the lease no longer
   * holds (the pipeline finds that out at its next commit).
   */
  async recordProgress(lease: Lease, readRows: number, writtenRows: number): Promise<boolean> {
    const rows = await this.dataSource.query(
      `UPDATE conversions SET read_rows = $3, written_rows = $4, updated_at = now() WHERE ${HELD} RETURNING id`,
      [lease.jobId, lease.workerId, readRows, writtenRows],
    );
    const held = firstRows(rows).length > 0;
    if (held) this.publisher.publish(lease.jobId);
    return held;
  }

  /** RUNNING → COMPLETED, with the finished output. */
  async complete(lease: Lease, done: { outputKey: string; timings: PhaseTimings }): Promise<void> {
    await this.updateHeld(lease, `status = 'COMPLETED', phase = 'DONE', output_key = $4, timings = $5, finished_at = now(),
                                  read_rows = total_rows, written_rows = total_rows`, [
      done.outputKey,
      JSON.stringify(done.timings),
    ]);
    this.finished(lease.jobId);
  }

  /** RUNNING → FAILED with a message for the user; false when the lease no longer held. */
  async fail(lease: Lease, message: string, code = 'INTERNAL'): Promise<boolean> {
    const rows = await this.dataSource.query(
      `UPDATE conversions SET status = 'FAILED', phase = 'DONE', error = $3, error_code = $4, finished_at = now(), updated_at = now()
        WHERE ${HELD} RETURNING id`,
      [lease.jobId, lease.workerId, message, code],
    );
    const failed = firstRows(rows).length > 0;
    if (failed) this.finished(lease.jobId);
    return failed;
  }

  /**
   * QUEUED or RUNNING → CANCELLED. Returns the status it was cancelled from, or null when the job
   * had already ended (or does not exist). A running job's worker finds its lease gone at its
   * next write and stops.
   */
  async cancel(jobId: string): Promise<'QUEUED' | 'RUNNING' | null> {
    const rows: { status: 'QUEUED' | 'RUNNING' }[] = firstRows(
      await this.dataSource.query(
        `UPDATE conversions c SET status = 'CANCELLED', phase = 'DONE', finished_at = now(), updated_at = now()
           FROM (SELECT id, status FROM conversions WHERE id = $1 AND status IN ('QUEUED', 'RUNNING') FOR UPDATE) was
          WHERE c.id = was.id
          RETURNING was.status`,
        [jobId],
      ),
    );
    if (rows.length === 0) return null;
    this.finished(jobId);
    return rows[0].status;
  }

  /**
   * Any status → EXPIRED, at once (deleteConversion). A running job's worker finds its lease gone
   * at its next write and discards what it made. Null when there is no such job.
   */
  async expire(jobId: string): Promise<ExpiredJob | null> {
    const rows: ExpiredRow[] = await this.dataSource.query(
      `WITH expired AS (
         UPDATE conversions SET status = 'EXPIRED', phase = 'DONE', finished_at = coalesce(finished_at, now()), updated_at = now()
          WHERE id = $1 RETURNING id, upload_key, output_key)
       SELECT * FROM expired`,
      [jobId],
    );
    if (rows.length === 0) return null;
    this.finished(jobId);
    return toExpiredJob(rows[0]);
  }

  /** COMPLETED longer than `seconds` ago → EXPIRED (retention), at most `limit` at a time. */
  async expireCompletedBefore(seconds: number, limit: number): Promise<ExpiredJob[]> {
    const rows: ExpiredRow[] = await this.dataSource.query(
      `WITH due AS (
         SELECT id FROM conversions
          WHERE status = 'COMPLETED' AND finished_at < now() - make_interval(secs => $1::double precision)
          ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED),
       expired AS (
         UPDATE conversions c SET status = 'EXPIRED', phase = 'DONE', updated_at = now()
           FROM due WHERE c.id = due.id RETURNING c.id, c.upload_key, c.output_key)
       SELECT * FROM expired`,
      [seconds, limit],
    );
    for (const r of rows) this.finished(r.id);
    return rows.map(toExpiredJob);
  }

  /** Gives a job back at once (on shutdown) so the next worker need not wait for the lease. */
  async release(lease: Lease, processDied = false): Promise<void> {
    // A job given back for a dead process keeps its working phase: claim() tells it by that.
    await this.dataSource.query(
      `UPDATE conversions SET lease_expires_at = now(), ${processDied ? '' : `phase = 'WAITING', `}updated_at = now() WHERE ${HELD}`,
      [lease.jobId, lease.workerId],
    );
    this.publisher.publish(lease.jobId, true);
  }

  /**
   * Gives back at once the jobs held by workers of this machine whose process is gone (killed,
   * crashed), so a restarted service resumes them without waiting for their leases to run out.
   * Worker ids are `host:pid:…`; jobs of other machines are left to their leases.
   */
  async releaseDeadLocalLeases(hostname: string, isAlive: (pid: number) => boolean): Promise<string[]> {
    const held: { id: string; worker_id: string }[] = await this.dataSource.query(
      `SELECT id, worker_id FROM conversions WHERE status = 'RUNNING' AND lease_expires_at > now() AND worker_id LIKE $1`,
      [`${hostname.replace(/[\\%_]/g, '\\$&')}:%`],
    );
    const dead = held.filter((j) => {
      const pid = Number(j.worker_id.slice(hostname.length + 1).split(':')[0]);
      return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid);
    });
    for (const job of dead) await this.release({ jobId: job.id, workerId: job.worker_id }, true);
    return dead.map((j) => j.id);
  }

  /** Of these ids, those that are conversions (`known`) and those RUNNING under a lease that holds (`live`). */
  async liveAmong(ids: string[]): Promise<{ live: Set<string>; known: Set<string> }> {
    const rows: { id: string; live: boolean }[] = await this.dataSource.query(
      `SELECT id::text AS id, (status = 'RUNNING' AND lease_expires_at > now()) AS live FROM conversions WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return { live: new Set(rows.filter((r) => r.live).map((r) => r.id)), known: new Set(rows.map((r) => r.id)) };
  }

  async statusOf(jobId: string): Promise<Conversion['status'] | null> {
    const [row]: { status: Conversion['status'] }[] = await this.dataSource.query(`SELECT status FROM conversions WHERE id = $1`, [jobId]);
    return row?.status ?? null;
  }

  /** An update of a job whose lease holds, extending the lease; JobLostError when it no longer holds. */
  private async updateHeld(lease: Lease, assignments: string, params: unknown[]): Promise<void> {
    const rows = await this.dataSource.query(
      `UPDATE conversions SET ${assignments}, updated_at = now(), lease_expires_at = now() + make_interval(secs => $3)
        WHERE ${HELD} RETURNING id`,
      [lease.jobId, lease.workerId, this.leaseSeconds, ...params],
    );
    if (firstRows(rows).length === 0) throw new JobLostError(lease.jobId);
  }

  /** The job's final state goes out at once; then its throttling state is forgotten. */
  private finished(jobId: string): void {
    this.publisher.publish(jobId, true);
    this.publisher.done(jobId);
  }
}

interface ExpiredRow {
  id: string;
  upload_key: string | null;
  output_key: string | null;
}

function toExpiredJob(r: ExpiredRow): ExpiredJob {
  return { id: r.id, uploadKey: r.upload_key, outputKey: r.output_key };
}

/** TypeORM returns `[rows, affected]` for UPDATE … RETURNING on postgres; plain rows otherwise. */
function firstRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
