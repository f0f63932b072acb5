import type { EntityManager } from 'typeorm';
import { ensureBoundaryPiecesOutsideTransaction } from './boundary-pieces';
import { GRID_CLEAR, GRID_CLEARANCE_METERS, type InteriorGrid } from './interior-grid';
import type { PolygonBoxes } from '../boundaries/polygon-boxes';
import { RESULT_CODE } from './result-codes';

/**
 * A chunk's points as the geocoder receives them, column-wise (a chunk is tens of thousands of
 * rows, and an object per row was a tenth of its time): point i has the coordinates (xs[i], ys[i]),
 * unless invalidReasons has an entry for i, saying why it cannot be geocoded (empty, not a
 * number, …); its coordinates are then ignored.
 */
export interface ChunkInput {
  xs: Float64Array;
  ys: Float64Array;
  invalidReasons: Map<number, string>;
}

export interface ChunkRequest {
  setId: number;
  /** EPSG code of the points' coordinates. */
  srid: number;
  maxDistanceMeters: number;
  /** Levels of the set, deepest first: each pass matches what the deeper ones left over. */
  levelsDeepestFirst: number[];
  input: ChunkInput;
  /** The set's interior grid (a mosaic of its leaf polygons), when it is ready: its covered cells skip PostGIS. */
  grid?: InteriorGrid | null;
  /**
   * The deepest level's polygon boxes: for points in lon/lat, only the polygons whose box holds
   * one of them are tried (see polygon-boxes.ts); without them, all the level's polygons.
   */
  boxes?: PolygonBoxes | null;
  /**
   * With `boxes`, the next level's (levelsDeepestFirst[1]): the points no deepest polygon holds
   * are matched against the polygons of that level whose box holds one of them in one join
   * (step 3 of c2r_geocode_points), instead of one search each.
   */
  shallowerBoxes?: PolygonBoxes | null;
}

/** One point's outcome. */
export interface PointResult {
  boundaryId: number | null;
  /** A RESULT_CODE value. */
  result: number;
  distanceMeters: number | null;
  reason: string | null;
}

/** A chunk's outcomes, column-wise: position i answers point i of the input. */
export interface GeocodedChunk {
  rowCount: number;
  /** Boundary id per point, 0 for none. */
  boundaryIds: Int32Array;
  /** RESULT_CODE per point. */
  results: Int16Array;
  /** By position, for the few points that have one: NEAREST points' distances in metres… */
  distances: Map<number, number>;
  /** …and INVALID points' reasons. */
  reasons: Map<number, string>;
  /** How many of the points the interior grid decided without PostGIS. */
  gridMatches: number;
}

/**
 * Geocodes one chunk of points, returning one outcome per point in input order; it stores
 * nothing. Runs outside a transaction: each statement stands alone (the PostGIS part is one
 * statement), so a chunk costs as few round trips as possible.
 *
 * 1. Points without usable coordinates are INVALID with their reason; they never reach the database.
 * 2. With the set's interior grid (interior-grid.ts), a point in a cell PostGIS proved to lie
 *    inside one leaf polygon gets that polygon at once, and a point in a cell far from every
 *    polygon gets NO_MATCH (together about nine points in ten of the bench's). Input in another
 *    system is first transformed to EPSG:4326 by PostGIS, in one statement.
 * 3. The other points go through PostGIS, set-based, in one call (c2r_geocode_points, see
 *    sql/c2r_geocode_points.sql): staged with a GiST index, a polygon-driven join for the
 *    deepest level, and the shallower levels and the nearest search for what is left over.
 */
export async function geocodeChunk(db: EntityManager, request: ChunkRequest): Promise<GeocodedChunk> {
  const { input } = request;
  const n = input.xs.length;
  const chunk: GeocodedChunk = {
    rowCount: n,
    boundaryIds: new Int32Array(n),
    results: new Int16Array(n).fill(RESULT_CODE.INVALID),
    distances: new Map(),
    reasons: new Map(input.invalidReasons),
    gridMatches: 0,
  };
  let points = usablePoints(input);
  let srid = request.srid;
  if (request.grid && points.index.length > 0) {
    const lonLat = srid === 4326 ? points : await toLonLat(db, points, srid);
    if (lonLat) {
      const { grid } = request;
      // A CLEAR cell has no polygon within GRID_CLEARANCE_METERS: NO_MATCH for any request
      // that looks no farther than that.
      const clearMeansNoMatch = request.maxDistanceMeters <= GRID_CLEARANCE_METERS;
      const pending: number[] = [];
      for (let k = 0; k < lonLat.index.length; k++) {
        const found = grid.lookup(lonLat.xs[k], lonLat.ys[k]);
        if (found > 0) {
          chunk.boundaryIds[lonLat.index[k]] = found;
          chunk.results[lonLat.index[k]] = RESULT_CODE.OK;
          chunk.gridMatches++;
        } else if (found === GRID_CLEAR && clearMeansNoMatch) {
          chunk.results[lonLat.index[k]] = RESULT_CODE.NO_MATCH;
          chunk.gridMatches++;
        } else pending.push(k);
      }
      points = subset(lonLat, pending);
      srid = 4326;
    }
  }
  if (points.index.length > 0) await lookUpInPostgis(db, request, points, srid, chunk);
  return chunk;
}

/** The outcome of point i of a chunk. */
export function resultAt(chunk: GeocodedChunk, i: number): PointResult {
  return {
    boundaryId: chunk.boundaryIds[i] || null,
    result: chunk.results[i],
    distanceMeters: chunk.distances.get(i) ?? null,
    reason: chunk.reasons.get(i) ?? null,
  };
}

/** A chunk of n points with no outcomes yet, to be filled in. */
export function emptyChunk(n: number): GeocodedChunk {
  return { rowCount: n, boundaryIds: new Int32Array(n), results: new Int16Array(n), distances: new Map(), reasons: new Map(), gridMatches: 0 };
}

/** Points from..to-1 of a chunk as a chunk of their own, renumbered from 0. */
export function sliceChunk(chunk: GeocodedChunk, from: number, to: number): GeocodedChunk {
  const part: GeocodedChunk = {
    rowCount: to - from,
    boundaryIds: chunk.boundaryIds.slice(from, to),
    results: chunk.results.slice(from, to),
    distances: new Map(),
    reasons: new Map(),
    gridMatches: 0,
  };
  for (const [i, d] of chunk.distances) if (i >= from && i < to) part.distances.set(i - from, d);
  for (const [i, r] of chunk.reasons) if (i >= from && i < to) part.reasons.set(i - from, r);
  return part;
}

/** Chunks one after the other as one chunk (the second's point 0 follows the first's last). */
export function joinChunks(chunks: GeocodedChunk[]): GeocodedChunk {
  if (chunks.length === 1) return chunks[0];
  const all = emptyChunk(chunks.reduce((sum, c) => sum + c.rowCount, 0));
  let at = 0;
  for (const c of chunks) {
    all.boundaryIds.set(c.boundaryIds, at);
    all.results.set(c.results, at);
    for (const [i, d] of c.distances) all.distances.set(at + i, d);
    for (const [i, r] of c.reasons) all.reasons.set(at + i, r);
    all.gridMatches += c.gridMatches;
    at += c.rowCount;
  }
  return all;
}

/** Points of a chunk: position in the chunk, and coordinates. */
interface ChunkPoints {
  index: number[];
  xs: Float64Array;
  ys: Float64Array;
}

/** The rows that have coordinates: usually all of them, and then the input's arrays as they are. */
function usablePoints(input: ChunkInput): ChunkPoints {
  const n = input.xs.length;
  if (input.ys.length !== n) throw new Error(`A chunk needs as many ys as xs, got ${input.ys.length} and ${n}`);
  const index: number[] = [];
  for (let i = 0; i < n; i++) if (!input.invalidReasons.has(i)) index.push(i);
  if (index.length === n) return { index, xs: input.xs, ys: input.ys };
  const xs = new Float64Array(index.length);
  const ys = new Float64Array(index.length);
  index.forEach((i, k) => {
    xs[k] = input.xs[i];
    ys[k] = input.ys[i];
  });
  return { index, xs, ys };
}

function subset(points: ChunkPoints, keep: number[]): ChunkPoints {
  const xs = new Float64Array(keep.length);
  const ys = new Float64Array(keep.length);
  keep.forEach((k, m) => {
    xs[m] = points.xs[k];
    ys[m] = points.ys[k];
  });
  return { index: keep.map((k) => points.index[k]), xs, ys };
}

/** The points as one little-endian WKB MultiPoint: PostGIS decodes it far faster than text arrays. */
function toWkb(points: ChunkPoints): Buffer {
  const wkb = Buffer.allocUnsafe(9 + 21 * points.index.length);
  wkb.writeUInt8(1, 0); // little endian
  wkb.writeUInt32LE(4, 1); // MultiPoint
  wkb.writeUInt32LE(points.index.length, 5);
  for (let k = 0, o = 9; k < points.index.length; k++, o += 21) {
    wkb.writeUInt8(1, o);
    wkb.writeUInt32LE(1, o + 1); // Point
    wkb.writeDoubleLE(points.xs[k], o + 5);
    wkb.writeDoubleLE(points.ys[k], o + 13);
  }
  return wkb;
}

/**
 * The points transformed to EPSG:4326 by PostGIS (the same ST_Transform staging would apply), or
 * null when PROJ rejects one of them: then the chunk skips the grid and staging finds the
 * offending rows one by one. Outside a transaction, the failed statement leaves nothing behind.
 */
async function toLonLat(db: EntityManager, points: ChunkPoints, srid: number): Promise<ChunkPoints | null> {
  let wkb: Buffer;
  try {
    [{ wkb }] = await db.query(`SELECT ST_AsBinary(ST_Transform(ST_GeomFromWKB($1, $2::int), 4326), 'NDR') AS wkb`, [toWkb(points), srid]);
  } catch (err) {
    if (!/transform|projection|domain/i.test((err as Error).message)) throw err;
    return null;
  }
  const xs = new Float64Array(points.index.length);
  const ys = new Float64Array(points.index.length);
  for (let k = 0, o = 9; k < xs.length; k++, o += 21) {
    xs[k] = wkb.readDoubleLE(o + 5);
    ys[k] = wkb.readDoubleLE(o + 13);
  }
  return { index: points.index, xs, ys };
}

/** How close to a deepest-level polygon a point must be for c2r_geocode_points' step 3 to leave it to the nearest search. */
const MID_CLEARANCE_DEGREES = 1e-6;

/** Step 3 for the given points (c2r_geocode_points), writing each one's outcome into `chunk`. */
async function lookUpInPostgis(db: EntityManager, request: ChunkRequest, points: ChunkPoints, srid: number, chunk: GeocodedChunk): Promise<void> {
  await ensureBoundaryPiecesOutsideTransaction(db, request.setId);
  const [deepest, ...shallower] = request.levelsDeepestFirst;
  const lonLat = srid === 4326 && request.boxes;
  const midBoxes = lonLat && shallower.length > 0 ? (request.shallowerBoxes ?? null) : null;
  // With step 3, the deepest candidates also take the polygons whose box comes within 1e-6° of a
  // point: step 3 leaves a point that close to one of them to the nearest search.
  const candidates = lonLat ? request.boxes!.holdingAny(points.xs, points.ys, midBoxes ? MID_CLEARANCE_DEGREES : 0) : null;
  const midCandidates = midBoxes ? midBoxes.holdingAny(points.xs, points.ys) : null;
  // Row numbers are positions in the chunk (the function's first row is 0).
  const outcomes: { i: number; boundaryId: number | null; result: number; distanceMeters: number | null; reason: string | null }[] = await db.query(
    `SELECT o_row_no AS i, o_boundary_id AS "boundaryId", o_result AS result, o_distance AS "distanceMeters", o_reason AS reason
       FROM c2r_geocode_points($1, $2, 0, $3, $4, $5, $6, $7, $8, $9)`,
    [toWkb(points), points.index, srid, request.setId, deepest, shallower, request.maxDistanceMeters, candidates, midCandidates],
  );
  for (const o of outcomes) {
    chunk.boundaryIds[o.i] = o.boundaryId ?? 0;
    chunk.results[o.i] = o.result;
    if (o.distanceMeters !== null) chunk.distances.set(o.i, o.distanceMeters);
    if (o.reason !== null) chunk.reasons.set(o.i, o.reason);
  }
}
