import type { DataSource, EntityManager } from 'typeorm';
import { Conversion } from '../entities/Conversion';

/**
 * The conversions table is the job queue (in the manner of graphile-worker): a worker claims the
 * oldest claimable job with FOR UPDATE SKIP LOCKED, so any number of workers in any number of
 * processes never take the same job, and holds it with a lease it renews. A job whose lease ran
 * out (its process died) becomes claimable again and resumes after its last committed chunk.
 */
export class JobQueue {
  constructor(
    private readonly dataSource: DataSource,
    private readonly leaseSeconds: number,
  ) {}

  async claim(workerId: string): Promise<Conversion | null> {
    const rows: { id: string }[] = await this.dataSource.query(
      `UPDATE conversions c
          SET status = 'RUNNING', worker_id = $1, lease_expires_at = now() + make_interval(secs => $2),
              phase = CASE WHEN c.detected IS NULL THEN 'ANALYZING' ELSE 'GEOCODING' END,
              attempts = c.attempts + 1, started_at = coalesce(c.started_at, now()), updated_at = now()
        WHERE c.id = (SELECT id FROM conversions
                       WHERE status = 'QUEUED' OR (status = 'RUNNING' AND lease_expires_at < now())
                       ORDER BY created_at, id
                       FOR UPDATE SKIP LOCKED
                       LIMIT 1)
        RETURNING c.id`,
      [workerId, this.leaseSeconds],
    );
    const id = firstRows<{ id: string }>(rows)[0]?.id;
    return id ? this.dataSource.getRepository(Conversion).findOneBy({ id }) : null;
  }

  /** Extends the lease; false when the job is no longer this worker's (cancelled or taken over). */
  async renew(id: string, workerId: string, tx: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE conversions SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE id = $1 AND worker_id = $2 AND status = 'RUNNING' RETURNING id`,
      [id, workerId, this.leaseSeconds],
    );
    return firstRows(rows).length > 0;
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
    for (const job of dead) await this.release(job.id, job.worker_id);
    return dead.map((j) => j.id);
  }

  /** Gives a job back at once (on shutdown) so the next worker need not wait for the lease. */
  async release(id: string, workerId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE conversions SET lease_expires_at = now(), phase = 'WAITING', updated_at = now()
        WHERE id = $1 AND worker_id = $2 AND status = 'RUNNING'`,
      [id, workerId],
    );
  }

  /**
   * Applies an update to a job this worker owns; false (nothing changed) when it does not own it
   * any more. Every write of the worker goes through this guard.
   */
  async updateOwned(
    id: string,
    workerId: string,
    set: Record<string, unknown>,
    tx: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const { sql, params } = this.ownedUpdate(id, workerId, set);
    return firstRows(await tx.query(sql, params)).length > 0;
  }

  /**
   * updateOwned's statement (UPDATE … RETURNING id: a row only while the job is this worker's),
   * for a caller that stores more in the same statement, such as a chunk's results (commitChunk).
   */
  ownedUpdate(id: string, workerId: string, set: Record<string, unknown>): { sql: string; params: unknown[] } {
    const params: unknown[] = [id, workerId];
    const assignments = Object.entries(set).map(([column, value]) => {
      if (value === SQL_NOW) return `${column} = now()`;
      params.push(serialize(value));
      return `${column} = $${params.length}`;
    });
    const sql = `UPDATE conversions SET ${assignments.join(', ')}, updated_at = now(),
              lease_expires_at = now() + make_interval(secs => ${Number(this.leaseSeconds)})
        WHERE id = $1 AND worker_id = $2 AND status = 'RUNNING' RETURNING id`;
    return { sql, params };
  }
}

/** Marker for `updateOwned`: set the column to the database's now(). */
export const SQL_NOW = Symbol('now');

function serialize(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value;
}

/** TypeORM returns `[rows, affected]` for UPDATE … RETURNING on postgres; plain rows otherwise. */
function firstRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
