import type { EntityManager } from 'typeorm';
import { NEAREST_ORDER } from './nearest-order';
import { RESULT_CODE } from './result-codes';

/** One input row as the geocoder receives it: coordinates, or the reason they are unusable. */
export interface ChunkRow {
  rowNo: number;
  x: number | null;
  y: number | null;
  /** Set when the reader already knows the row cannot be geocoded (empty, not a number, …). */
  invalidReason: string | null;
}

export interface ChunkRequest {
  conversionId: string;
  setId: number;
  /** EPSG code of the rows' coordinates. */
  srid: number;
  maxDistanceMeters: number;
  /** Levels of the set, deepest first: each pass matches what the deeper ones left over. */
  levelsDeepestFirst: number[];
  rows: ChunkRow[];
}

/** One row's outcome as stored in conversion_results. */
export interface StoredResult {
  rowNo: number;
  boundaryId: number | null;
  /** A RESULT_CODE value. */
  result: number;
  distanceMeters: number | null;
  reason: string | null;
}

export interface ChunkCounts {
  matched: number;
  nearest: number;
  unmatched: number;
  invalid: number;
}

/**
 * Geocodes one chunk of rows inside the caller's transaction and stores one result per row in
 * conversion_results, returning them in row order. Set-based: the chunk's points are staged in a temporary table with a GiST
 * index, then each level is matched by a polygon-driven join (every polygon probes the point index
 * once, so PostGIS prepares each polygon once instead of testing every point against every
 * candidate). Points inside no polygon get the nearest one within `maxDistanceMeters`.
 */
export async function geocodeChunk(tx: EntityManager, request: ChunkRequest): Promise<StoredResult[]> {
  await stagePoints(tx, request);
  await tx.query(`CREATE INDEX ON chunk_points USING gist (geom)`);
  await tx.query(`ANALYZE chunk_points`);

  for (const level of request.levelsDeepestFirst) {
    await tx.query(
      `UPDATE chunk_points p SET boundary_id = m.boundary_id
         FROM (SELECT DISTINCT ON (hit.row_no) hit.row_no, b.id AS boundary_id
                 FROM boundaries b
                 CROSS JOIN LATERAL (
                   SELECT cp.row_no FROM chunk_points cp
                    WHERE cp.boundary_id IS NULL AND ST_Intersects(b.geom, cp.geom)
                 ) hit
                WHERE b.set_id = $1 AND b.level = $2
                ORDER BY hit.row_no, b.id) m
        WHERE p.row_no = m.row_no`,
      [request.setId, level],
    );
  }

  if (request.maxDistanceMeters > 0) await matchNearest(tx, request);

  const stored: StoredResult[] = await tx.query(
    `INSERT INTO conversion_results (conversion_id, row_no, boundary_id, result, distance_m, reason)
     SELECT $1, row_no, boundary_id,
            CASE WHEN geom IS NULL THEN ${RESULT_CODE.INVALID}
                 WHEN boundary_id IS NULL THEN ${RESULT_CODE.NO_MATCH}
                 WHEN distance_m IS NULL THEN ${RESULT_CODE.OK}
                 ELSE ${RESULT_CODE.NEAREST} END,
            distance_m, reason
       FROM chunk_points
     RETURNING row_no AS "rowNo", boundary_id AS "boundaryId", result, distance_m AS "distanceMeters", reason`,
    [request.conversionId],
  );
  await tx.query(`DROP TABLE chunk_points`);
  return stored.sort((a, b) => a.rowNo - b.rowNo);
}

/** Reads back results committed earlier (a resumed job rewrites its output from the start). */
export async function loadResults(tx: EntityManager, conversionId: string, fromRow: number, toRow: number): Promise<StoredResult[]> {
  return tx.query(
    `SELECT row_no AS "rowNo", boundary_id AS "boundaryId", result, distance_m AS "distanceMeters", reason
       FROM conversion_results WHERE conversion_id = $1 AND row_no >= $2 AND row_no < $3 ORDER BY row_no`,
    [conversionId, fromRow, toRow],
  );
}

export function countResults(results: StoredResult[]): ChunkCounts {
  const counts: ChunkCounts = { matched: 0, nearest: 0, unmatched: 0, invalid: 0 };
  for (const r of results) {
    if (r.result === RESULT_CODE.OK) counts.matched++;
    else if (r.result === RESULT_CODE.NEAREST) {
      counts.matched++;
      counts.nearest++;
    } else if (r.result === RESULT_CODE.NO_MATCH) counts.unmatched++;
    else counts.invalid++;
  }
  return counts;
}

/**
 * Stages the rows as points in EPSG:4326. The whole chunk is transformed in one statement; if
 * PROJ rejects a point (outside the projection's domain), the chunk is staged again through a
 * per-row guarded transform so that only the offending rows become INVALID.
 */
async function stagePoints(tx: EntityManager, request: ChunkRequest): Promise<void> {
  const { rows, srid } = request;
  const params = [
    rows.map((r) => r.rowNo),
    rows.map((r) => (r.invalidReason ? null : r.x)),
    rows.map((r) => (r.invalidReason ? null : r.y)),
    rows.map((r) => r.invalidReason),
    srid,
  ];
  const sql = (transform: string) => `
    CREATE TEMP TABLE chunk_points ON COMMIT DROP AS
    SELECT u.row_no, t.geom,
           CASE WHEN u.reason IS NOT NULL THEN u.reason
                WHEN t.geom IS NULL THEN 'coordinates outside the domain of EPSG:' || $5::int
           END AS reason,
           NULL::integer AS boundary_id, NULL::real AS distance_m
      FROM unnest($1::int[], $2::float8[], $3::float8[], $4::text[]) AS u(row_no, x, y, reason)
      CROSS JOIN LATERAL (
        SELECT CASE WHEN u.x IS NULL OR u.y IS NULL THEN NULL
                    ELSE ${transform} END AS geom
      ) t`;
  const fast = srid === 4326 ? 'ST_SetSRID(ST_MakePoint(u.x, u.y), 4326)' : 'ST_Transform(ST_SetSRID(ST_MakePoint(u.x, u.y), $5::int), 4326)';
  await tx.query('SAVEPOINT stage_points');
  try {
    await tx.query(sql(fast), params);
    await tx.query('RELEASE SAVEPOINT stage_points');
  } catch (err) {
    if (!/transform|projection|domain/i.test((err as Error).message)) throw err;
    await tx.query('ROLLBACK TO SAVEPOINT stage_points');
    await tx.query(sql('c2r_try_transform(ST_SetSRID(ST_MakePoint(u.x, u.y), $5::int), 4326)'), params);
  }
}

/**
 * Points inside no polygon: the closest polygon (any level, deeper first on ties) within the
 * distance, measured on the spheroid. Point-driven, because these are few (the coast, the border).
 */
async function matchNearest(tx: EntityManager, request: ChunkRequest): Promise<void> {
  await tx.query(
    `UPDATE chunk_points p SET boundary_id = n.id, distance_m = n.d
       FROM (SELECT cp.row_no, near.id, near.d
               FROM chunk_points cp
               CROSS JOIN LATERAL (
                 SELECT c.id, c.d FROM (
                   SELECT b.id, b.level, ST_Distance(b.geom::geography, cp.geom::geography) AS d
                     FROM boundaries b
                    WHERE b.set_id = $1
                      AND b.geom && ST_Expand(cp.geom, $2 / (111320 * greatest(cos(radians(ST_Y(cp.geom))), 0.01)), $2 / 110540)
                      AND ST_DWithin(b.geom::geography, cp.geom::geography, $2)
                 ) c
                  ORDER BY ${NEAREST_ORDER}
                  LIMIT 1
               ) near
              WHERE cp.boundary_id IS NULL AND cp.geom IS NOT NULL) n
      WHERE p.row_no = n.row_no`,
    [request.setId, request.maxDistanceMeters],
  );
}
