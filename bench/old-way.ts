import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

export interface OldWayResult {
  points: number;
  matched: number;
  ms: number;
}

/**
 * The way the old consumer worked: one `ST_Within … LIMIT 1` query per point, each awaited
 * before the next, against the deepest level of the current boundary set. Run inside the server
 * process on the server's own connection pool, so it hits exactly the database the conversion
 * used (on the embedded default there is no other way in: PGlite serves one connection).
 */
export async function oneQueryPerPoint(dataSource: DataSource, points: [number, number][]): Promise<OldWayResult> {
  const [set] = await dataSource.query(
    `SELECT s.id, max(b.level) AS level FROM boundary_sets s JOIN boundaries b ON b.set_id = s.id
      WHERE s.is_current AND s.status = 'READY' GROUP BY s.id ORDER BY s.id DESC LIMIT 1`,
  );
  const runner = dataSource.createQueryRunner();
  const client = (await runner.connect()) as PoolClient;
  try {
    const text = `SELECT id FROM boundaries
                   WHERE set_id = $1 AND level = $2 AND ST_Within(ST_SetSRID(ST_MakePoint($3, $4), 4326), geom)
                   LIMIT 1`;
    // Warm the cache the same way the conversion had it warm.
    for (const [x, y] of points.slice(0, 50)) await client.query(text, [set.id, set.level, x, y]);
    let matched = 0;
    const t = performance.now();
    for (const [x, y] of points) {
      const res = await client.query(text, [set.id, set.level, x, y]);
      matched += res.rowCount ?? 0;
    }
    return { points: points.length, matched, ms: performance.now() - t };
  } finally {
    await runner.release();
  }
}
