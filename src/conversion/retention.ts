import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import type { FileStore } from './file-store';

interface ExpiredRow {
  id: string;
  upload_path: string | null;
  output_path: string | null;
}

/** Rows handled by one statement of the sweep; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

/**
 * Retention: a COMPLETED conversion older than RETENTION_HOURS, or one its owner deletes, becomes
 * EXPIRED and loses its upload, output and stored chunk results. The status changes first (so no
 * link serves a file being deleted), then the files go, then output_path is cleared: an EXPIRED
 * row that still has an output_path had its deletion interrupted, and the next sweep finishes it.
 */
export class Retention {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: FileStore,
    private readonly retentionSeconds: number,
  ) {}

  /** One pass: expires what is due and finishes interrupted deletions. Returns the ids expired. */
  async sweep(): Promise<string[]> {
    const due: ExpiredRow[] = await this.dataSource.query(
      `WITH due AS (
         SELECT id FROM conversions
          WHERE status = 'COMPLETED' AND finished_at < now() - make_interval(secs => $1::double precision)
          ORDER BY finished_at LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED),
       expired AS (
         UPDATE conversions c SET status = 'EXPIRED', phase = 'DONE', updated_at = now()
           FROM due WHERE c.id = due.id RETURNING c.id, c.upload_path, c.output_path)
       SELECT * FROM expired`,
      [this.retentionSeconds],
    );
    const unfinished: ExpiredRow[] = await this.dataSource.query(
      `SELECT id, upload_path, output_path FROM conversions WHERE status = 'EXPIRED' AND output_path IS NOT NULL LIMIT ${SWEEP_BATCH}`,
    );
    const rows = [...due, ...unfinished.filter((u) => !due.some((d) => d.id === u.id))];
    await this.purge(rows);
    return due.map((r) => r.id);
  }

  /**
   * Expires one conversion at once, whatever its status (a queued or running one stops: its
   * worker loses the lease at its next chunk and discards what it made). False when unknown.
   */
  async expireNow(id: string): Promise<boolean> {
    const rows: ExpiredRow[] = await this.dataSource.query(
      `WITH expired AS (
         UPDATE conversions SET status = 'EXPIRED', phase = 'DONE', finished_at = coalesce(finished_at, now()), updated_at = now()
          WHERE id = $1 RETURNING id, upload_path, output_path)
       SELECT * FROM expired`,
      [id],
    );
    await this.purge(rows);
    return rows.length > 0;
  }

  private async purge(rows: ExpiredRow[]): Promise<void> {
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.id);
    await this.dataSource.query(`DELETE FROM conversion_chunks WHERE conversion_id = ANY($1::uuid[])`, [ids]);
    for (const r of rows) await this.store.deleteConversionFiles({ id: r.id, uploadPath: r.upload_path, outputPath: r.output_path });
    await this.dataSource.query(`UPDATE conversions SET output_path = NULL WHERE id = ANY($1::uuid[]) AND status = 'EXPIRED'`, [ids]);
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
