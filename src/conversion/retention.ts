import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import { dropChunks } from './chunk-store';
import type { FileStore } from './file-store';
import type { ExpiredJob, JobQueue } from './job-queue';

/** Rows handled by one pass of the sweep; the next pass takes the rest. */
const SWEEP_BATCH = 500;

/**
 * Retention: a COMPLETED conversion older than RETENTION_HOURS, or one its owner deletes, becomes
 * EXPIRED (a queue verb) and loses its upload, output and stored chunk results. The status changes
 * first (so no link serves a file being deleted), then the files go, then output_key is cleared:
 * an EXPIRED row that still has an output_key had its deletion interrupted, and the next sweep
 * finishes it.
 */
export class Retention {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly store: FileStore,
    private readonly retentionSeconds: number,
  ) {}

  /** One pass: expires what is due and finishes interrupted deletions. Returns the ids expired. */
  async sweep(): Promise<string[]> {
    const due = await this.queue.expireCompletedBefore(this.retentionSeconds, SWEEP_BATCH);
    const unfinished: { id: string; upload_key: string | null; output_key: string | null }[] = await this.dataSource.query(
      `SELECT id, upload_key, output_key FROM conversions WHERE status = 'EXPIRED' AND output_key IS NOT NULL LIMIT ${SWEEP_BATCH}`,
    );
    const jobs = [
      ...due,
      ...unfinished.filter((u) => !due.some((d) => d.id === u.id)).map((u) => ({ id: u.id, uploadKey: u.upload_key, outputKey: u.output_key })),
    ];
    await this.purge(jobs);
    return due.map((j) => j.id);
  }

  /** Expires one conversion at once, whatever its status, and deletes its files. False when unknown. */
  async expireNow(id: string): Promise<boolean> {
    const expired = await this.queue.expire(id);
    if (expired) await this.purge([expired]);
    return expired !== null;
  }

  private async purge(jobs: ExpiredJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const ids = jobs.map((j) => j.id);
    for (const j of jobs) {
      await dropChunks(this.dataSource.manager, j.id);
      await this.store.deleteConversionFiles(j);
    }
    await this.dataSource.query(`UPDATE conversions SET output_key = NULL WHERE id = ANY($1::uuid[]) AND status = 'EXPIRED'`, [ids]);
  }
}

/** Runs the sweep every `intervalMs` (and once at start); `stop()` waits for a running pass. */
export function startRetentionSweeps(retention: Retention, intervalMs: number, log: Logger): { stop(): Promise<void> } {
  let current: Promise<void> | null = null;
  let stopped = false;
  const pass = () => {
    if (current || stopped) return;
    current = retention
      .sweep()
      .then(
        (ids) => {
          if (ids.length) log.info(`Retention: ${ids.length} conversion(s) expired and their files deleted`);
        },
        (err) => log.error('Retention sweep failed', err),
      )
      .finally(() => {
        current = null;
      });
  };
  const timer = setInterval(pass, intervalMs);
  timer.unref();
  pass();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
