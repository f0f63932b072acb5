import type { EntityManager } from 'typeorm';
import { ensureBoundaryPieces } from './boundary-pieces';
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

/** One row's outcome, as stored (in its chunk's arrays in conversion_chunks). */
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
 * Geocodes one chunk of rows inside the caller's transaction and stores one result per row (as
 * one conversion_chunks row), returning them in row order. Set-based, one statement per step:
 *
 * 1. stage the chunk's points in a temporary table with a GiST index;
 * 2. match the deepest level with a polygon-driven join: the outer loop runs over the level's
 *    polygons, each probing the point index once, so PostGIS prepares each polygon once and
 *    tests only the points in its box (EXPLAIN: Nested Loop, boundaries outer, index scan on
 *    chunk_points inner);
 * 3. copy the few points left over (at sea, in gaps between polygons) to a second small table,
 *    and run the shallower levels and the nearest-boundary search over those alone, instead of
 *    rescanning the whole chunk once per level;
 * 4. insert the results from both tables in one statement.
 */
export async function geocodeChunk(tx: EntityManager, request: ChunkRequest): Promise<StoredResult[]> {
  // JIT compiles these plans for ~130 ms per statement and never wins it back at chunk size.
  await tx.query(`SET LOCAL jit = off`);
  await stagePoints(tx, request);
  // No ANALYZE: it costs ~100 ms per chunk and the plan (polygon-driven nested loop over the
  // point index) is chosen without statistics too.
  await tx.query(`CREATE INDEX ON chunk_points USING gist (geom)`);

  const [deepest, ...shallower] = request.levelsDeepestFirst;
  await tx.query(
    `CREATE TEMP TABLE chunk_hits ON COMMIT DROP AS
     SELECT DISTINCT ON (cp.row_no) cp.row_no, b.id AS boundary_id
       FROM boundaries b
       JOIN chunk_points cp ON ST_Intersects(b.geom, cp.geom)
      WHERE b.set_id = $1 AND b.level = $2
      ORDER BY cp.row_no, b.id`,
    [request.setId, deepest],
  );
  await tx.query(
    `CREATE TEMP TABLE chunk_leftovers ON COMMIT DROP AS
     SELECT cp.row_no, cp.geom, NULL::integer AS boundary_id, NULL::real AS distance_m
       FROM chunk_points cp
      WHERE cp.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chunk_hits h WHERE h.row_no = cp.row_no)`,
  );
  const [{ n: leftovers }] = await tx.query(`SELECT count(*)::int AS n FROM chunk_leftovers`);
  if (leftovers > 0 && (shallower.length > 0 || request.maxDistanceMeters > 0)) await matchLeftovers(tx, request, shallower);

  const [chunk]: StoredChunk[] = await tx.query(
    `INSERT INTO conversion_chunks (conversion_id, first_row, row_count, boundary_ids, results, distances, reasons)
     SELECT $1, min(row_no), count(*), array_agg(boundary_id ORDER BY row_no), array_agg(result ORDER BY row_no),
            array_agg(distance_m ORDER BY row_no), array_agg(reason ORDER BY row_no)
       FROM (SELECT p.row_no, coalesce(h.boundary_id, l.boundary_id) AS boundary_id,
                    CASE WHEN p.geom IS NULL THEN ${RESULT_CODE.INVALID}
                         WHEN h.boundary_id IS NOT NULL THEN ${RESULT_CODE.OK}
                         WHEN l.boundary_id IS NULL THEN ${RESULT_CODE.NO_MATCH}
                         WHEN l.distance_m IS NULL THEN ${RESULT_CODE.OK}
                         ELSE ${RESULT_CODE.NEAREST} END::smallint AS result,
                    l.distance_m, p.reason
               FROM chunk_points p
               LEFT JOIN chunk_hits h ON h.row_no = p.row_no
               LEFT JOIN chunk_leftovers l ON l.row_no = p.row_no) r
     RETURNING ${CHUNK_COLUMNS}`,
    [request.conversionId],
  );
  await tx.query(`DROP TABLE chunk_points, chunk_hits, chunk_leftovers`);
  return unpack(chunk, chunk.firstRow, chunk.firstRow + chunk.rowCount);
}

/** One committed chunk as stored: the results of rows firstRow.. in row order, as parallel arrays. */
interface StoredChunk {
  firstRow: number;
  rowCount: number;
  boundaryIds: (number | null)[];
  results: number[];
  distances: (number | null)[];
  reasons: (string | null)[];
}

const CHUNK_COLUMNS = `first_row AS "firstRow", row_count AS "rowCount", boundary_ids AS "boundaryIds", results,
  distances, reasons`;

/** Reads back results committed earlier (a resumed job rewrites its output from the start). */
export async function loadResults(tx: EntityManager, conversionId: string, fromRow: number, toRow: number): Promise<StoredResult[]> {
  // Chunks are cut by CHUNK_ROWS, which may differ between attempts: take every overlapping one.
  const chunks: StoredChunk[] = await tx.query(
    `SELECT ${CHUNK_COLUMNS} FROM conversion_chunks
      WHERE conversion_id = $1 AND first_row < $3 AND first_row + row_count > $2 ORDER BY first_row`,
    [conversionId, fromRow, toRow],
  );
  return chunks.flatMap((c) => unpack(c, fromRow, toRow));
}

function unpack(c: StoredChunk, fromRow: number, toRow: number): StoredResult[] {
  const out: StoredResult[] = [];
  const end = Math.min(toRow, c.firstRow + c.rowCount);
  for (let rowNo = Math.max(fromRow, c.firstRow); rowNo < end; rowNo++) {
    const i = rowNo - c.firstRow;
    out.push({ rowNo, boundaryId: c.boundaryIds[i], result: Number(c.results[i]), distanceMeters: c.distances[i], reason: c.reasons[i] });
  }
  return out;
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
 * Stages the rows as points in EPSG:4326. The coordinates travel as one binary WKB MultiPoint
 * (row i is point i; unusable rows hold a placeholder and their reason travels in a short sparse
 * list), which PostGIS decodes three times faster than it parses four 50,000-element text arrays.
 * The whole chunk is transformed in one statement; if PROJ rejects a point (outside the
 * projection's domain), the chunk is staged again through a per-row guarded transform so that
 * only the offending rows become INVALID.
 */
async function stagePoints(tx: EntityManager, request: ChunkRequest): Promise<void> {
  const { rows, srid } = request;
  const firstRowNo = rows[0].rowNo;
  const wkb = Buffer.allocUnsafe(9 + 21 * rows.length);
  wkb.writeUInt8(1, 0); // little endian
  wkb.writeUInt32LE(4, 1); // MultiPoint
  wkb.writeUInt32LE(rows.length, 5);
  const invalidIndexes: number[] = [];
  const invalidReasons: string[] = [];
  for (let i = 0, o = 9; i < rows.length; i++, o += 21) {
    const r = rows[i];
    if (r.rowNo !== firstRowNo + i) throw new Error(`Chunk rows must be consecutive: row ${r.rowNo} at position ${i} after ${firstRowNo}`);
    const usable = r.invalidReason === null && r.x !== null && r.y !== null;
    if (!usable) {
      invalidIndexes.push(i + 1);
      invalidReasons.push(r.invalidReason ?? 'no coordinates');
    }
    wkb.writeUInt8(1, o);
    wkb.writeUInt32LE(1, o + 1); // Point
    wkb.writeDoubleLE(usable ? r.x! : 0, o + 5);
    wkb.writeDoubleLE(usable ? r.y! : 0, o + 13);
  }
  const params = [wkb, firstRowNo, srid, invalidIndexes, invalidReasons];
  const sql = (transform: string) => `
    CREATE TEMP TABLE chunk_points ON COMMIT DROP AS
    SELECT $2::int + d.path[1] - 1 AS row_no, t.geom,
           CASE WHEN bad.reason IS NOT NULL THEN bad.reason
                WHEN t.geom IS NULL THEN 'coordinates outside the domain of EPSG:' || $3::int
           END AS reason
      FROM ST_DumpPoints(ST_GeomFromWKB($1, $3::int)) d
      LEFT JOIN unnest($4::int[], $5::text[]) AS bad(i, reason) ON bad.i = d.path[1]
      CROSS JOIN LATERAL (SELECT CASE WHEN bad.reason IS NULL THEN ${transform} END AS geom) t`;
  const fast = srid === 4326 ? 'd.geom' : 'ST_Transform(d.geom, 4326)';
  await tx.query('SAVEPOINT stage_points');
  try {
    await tx.query(sql(fast), params);
    await tx.query('RELEASE SAVEPOINT stage_points');
  } catch (err) {
    if (!/transform|projection|domain/i.test((err as Error).message)) throw err;
    await tx.query('ROLLBACK TO SAVEPOINT stage_points');
    await tx.query(sql('c2r_try_transform(d.geom, 4326)'), params);
  }
}

/**
 * The points no deepest-level polygon contains (at sea, in gaps, on the border), one at a time
 * because they are few, against boundary_pieces: small pieces with tight boxes, so the index
 * returns only pieces really near and each test is cheap (whole provinces took ~10 ms a point).
 * One query does both remaining steps: a piece of a shallower level that contains the point
 * counts as distance 0, so the deepest containing level wins (OK), else the closest polygon
 * within the distance, the deepest level among those within 1 cm of the closest (NEAREST, see nearest-order.ts), measured on the spheroid. The boxes and
 * the planar test in degrees are supersets of that distance (a degree of longitude is at most
 * 111,320 m, of latitude at least 110,540 m); the spheroid distance decides.
 */
async function matchLeftovers(tx: EntityManager, request: ChunkRequest, shallowerLevels: number[]): Promise<void> {
  await ensureBoundaryPieces(tx, request.setId);
  await tx.query(
    `UPDATE chunk_leftovers l SET boundary_id = n.boundary_id, distance_m = nullif(n.d, 0)
       FROM (SELECT cl.row_no, near.boundary_id, near.d
               FROM chunk_leftovers cl
               CROSS JOIN LATERAL (
                 SELECT $2::float8 / (111320 * greatest(cos(radians(ST_Y(cl.geom))), 0.01)) AS dlon
               ) r
               CROSS JOIN LATERAL (
                 SELECT c.boundary_id, c.level, c.d
                   FROM (SELECT bp.boundary_id, bp.level,
                                CASE WHEN bp.level = ANY($3::int[]) AND ST_Intersects(bp.geom, cl.geom) THEN 0
                                     WHEN $2::float8 > 0 AND ST_DWithin(bp.geom, cl.geom, r.dlon)
                                     THEN ST_Distance(bp.geom::geography, cl.geom::geography) END AS d
                           FROM boundary_pieces bp
                          WHERE bp.set_id = $1 AND bp.geom && ST_Expand(cl.geom, r.dlon, $2::float8 / 110540)
                         OFFSET 0) c -- computes d once; flattened, it is evaluated for the filter and again for the sort
                  WHERE c.d <= $2::float8
                  ORDER BY ${NEAREST_ORDER}, c.boundary_id
                  LIMIT 1
               ) near) n
      WHERE l.row_no = n.row_no`,
    [request.setId, request.maxDistanceMeters, shallowerLevels],
  );
}
