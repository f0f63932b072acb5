import type { EntityManager } from 'typeorm';
import { ensureBoundaryPiecesOutsideTransaction } from './boundary-pieces';
import { GRID_CLEAR, GRID_CLEARANCE_METERS, type InteriorGrid } from './interior-grid';
import type { PolygonBoxes } from './polygon-boxes';
import { RESULT_CODE } from './result-codes';

/**
 * A chunk's rows as the geocoder receives them, column-wise (a chunk is tens of thousands of rows,
 * and an object per row was a tenth of its time): row firstRowNo + i has the coordinates
 * (xs[i], ys[i]), unless invalidReasons has an entry for i, saying why it cannot be geocoded
 * (empty, not a number, …); its coordinates are then ignored.
 */
export interface ChunkInput {
  firstRowNo: number;
  xs: Float64Array;
  ys: Float64Array;
  invalidReasons: Map<number, string>;
}

export interface ChunkRequest {
  setId: number;
  /** EPSG code of the rows' coordinates. */
  srid: number;
  maxDistanceMeters: number;
  /** Levels of the set, deepest first: each pass matches what the deeper ones left over. */
  levelsDeepestFirst: number[];
  input: ChunkInput;
  /** The deepest level's interior grid, when it is ready: its covered cells skip PostGIS. */
  grid?: InteriorGrid | null;
  /**
   * The deepest level's polygon boxes: for points in lon/lat, only the polygons whose box holds
   * one of them are tried (see polygon-boxes.ts); without them, all the level's polygons.
   */
  boxes?: PolygonBoxes | null;
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

/** A chunk's results, and how many of its points the interior grid matched without PostGIS. */
export interface GeocodedChunk {
  results: StoredResult[];
  gridMatches: number;
  /** The same results as commitChunk stores them. */
  stored: StoredChunk;
}

/**
 * Geocodes one chunk of rows, returning one result per row in row order; commitChunk stores them.
 * Runs outside a transaction: each statement stands alone (the PostGIS part is one statement), so
 * a chunk costs as few round trips as possible.
 *
 * 1. Rows without usable coordinates are INVALID with their reason; they never reach the database.
 * 2. With the deepest level's interior grid (interior-grid.ts), a point in a cell PostGIS proved
 *    to lie inside one polygon gets that polygon at once, and a point in a cell far from every
 *    polygon gets NO_MATCH (together about nine points in ten of the bench's). Input in another
 *    system is first transformed to EPSG:4326 by PostGIS, in one statement.
 * 3. The other points go through PostGIS, set-based, in one call (c2r_geocode_points, see
 *    geocode-points-function.ts): staged with a GiST index, a polygon-driven join for the
 *    deepest level, and the shallower levels and the nearest search for what is left over.
 */
export async function geocodeChunk(db: EntityManager, request: ChunkRequest): Promise<GeocodedChunk> {
  const { input } = request;
  const n = input.xs.length;
  const { firstRowNo } = input;
  const chunk: StoredChunk = {
    firstRow: firstRowNo,
    rowCount: n,
    boundaryIds: new Int32Array(n),
    results: new Int16Array(n).fill(RESULT_CODE.INVALID),
    distances: new Map(),
    reasons: new Map(input.invalidReasons),
  };
  let points = usablePoints(input);
  let srid = request.srid;
  let gridMatches = 0;
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
          gridMatches++;
        } else if (found === GRID_CLEAR && clearMeansNoMatch) {
          chunk.results[lonLat.index[k]] = RESULT_CODE.NO_MATCH;
          gridMatches++;
        } else pending.push(k);
      }
      points = subset(lonLat, pending);
      srid = 4326;
    }
  }
  if (points.index.length > 0) await lookUpInPostgis(db, request, points, srid, chunk);
  return { results: unpack(chunk, firstRowNo, firstRowNo + n), gridMatches, stored: chunk };
}

/** An UPDATE … RETURNING id that returns a row only while the job is the caller's (JobQueue.ownedUpdate). */
export interface OwnershipGuard {
  sql: string;
  params: unknown[];
}

/**
 * Stores a geocoded chunk's results as one conversion_chunks row (packed ids and codes; distances
 * and reasons of the few rows that have one) in the same statement as `guard`, the update of the
 * job's counters that covers them: both happen or neither, so a resumed job finds every row
 * either committed with its counters or not at all. False when the job is no longer the
 * caller's: then nothing was stored.
 */
export async function commitChunk(db: EntityManager, chunk: GeocodedChunk, guard: OwnershipGuard, also?: AlsoStored): Promise<boolean> {
  const c = chunk.stored;
  const notes = notesOf(c);
  const values = [c.firstRow, c.rowCount, bigEndian(c.boundaryIds), bigEndian(c.results), notes.offsets, notes.distances, notes.reasons];
  const params: unknown[] = [...guard.params, ...values];
  const p = (k: number) => `$${guard.params.length + k}`;
  const extra = also?.((value) => `$${params.push(value)}`) ?? [];
  const rows: unknown[] = await db.query(
    `WITH owned AS (${guard.sql})${extra.map((cte) => `, ${cte}`).join('')}
     INSERT INTO conversion_chunks (conversion_id, first_row, row_count, boundary_ids, results, note_offsets, note_distances, note_reasons)
     SELECT owned.id, ${p(1)}::integer, ${p(2)}::integer, ${p(3)}::bytea, ${p(4)}::bytea, ${p(5)}::integer[], ${p(6)}::real[], ${p(7)}::text[]
       FROM owned
     RETURNING first_row`,
    params,
  );
  return rows.length > 0;
}

/**
 * More stored with a chunk, in the same statement: data-modifying CTEs (`name AS (INSERT … SELECT
 * … FROM owned)`) that take their values through `param`, which returns the placeholder.
 */
export type AlsoStored = (param: (value: unknown) => string) => string[];

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

/** Step 3 for the given points (c2r_geocode_points), writing each one's outcome into `chunk`. */
async function lookUpInPostgis(db: EntityManager, request: ChunkRequest, points: ChunkPoints, srid: number, chunk: StoredChunk): Promise<void> {
  await ensureBoundaryPiecesOutsideTransaction(db, request.setId);
  const [deepest, ...shallower] = request.levelsDeepestFirst;
  const candidates = srid === 4326 && request.boxes ? request.boxes.holdingAny(points.xs, points.ys) : null;
  const outcomes: { rowNo: number; boundaryId: number | null; result: number; distanceMeters: number | null; reason: string | null }[] = await db.query(
    `SELECT o_row_no AS "rowNo", o_boundary_id AS "boundaryId", o_result AS result, o_distance AS "distanceMeters", o_reason AS reason
       FROM c2r_geocode_points($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [toWkb(points), points.index, chunk.firstRow, srid, request.setId, deepest, shallower, request.maxDistanceMeters, candidates],
  );
  for (const o of outcomes) {
    const i = o.rowNo - chunk.firstRow;
    chunk.boundaryIds[i] = o.boundaryId ?? 0;
    chunk.results[i] = o.result;
    if (o.distanceMeters !== null) chunk.distances.set(i, o.distanceMeters);
    if (o.reason !== null) chunk.reasons.set(i, o.reason);
  }
}

/** One chunk's results in row order: rows firstRow.. */
export interface StoredChunk {
  firstRow: number;
  rowCount: number;
  /** Boundary id per row, 0 for none. */
  boundaryIds: Int32Array;
  /** RESULT_CODE per row. */
  results: Int16Array;
  /** By offset in the chunk, for the few rows that have one: NEAREST rows' distances in metres… */
  distances: Map<number, number>;
  /** …and INVALID rows' reasons. */
  reasons: Map<number, string>;
}

/**
 * Boundary ids and result codes are stored packed (see migration PackedChunkResults): big-endian
 * int4 and int2 per row, 0 for no boundary, as int4send and int2send write them. Typed arrays are
 * in the platform's order (little-endian wherever Node runs), hence the swap.
 */
function bigEndian(values: Int32Array | Int16Array): Buffer {
  const buf = Buffer.from(values.slice().buffer);
  return values instanceof Int32Array ? buf.swap32() : buf.swap16();
}

function int32sFromBigEndian(bytes: Buffer): Int32Array {
  const copy = new Uint8Array(bytes); // its own, aligned ArrayBuffer, swapped in place
  Buffer.from(copy.buffer).swap32();
  return new Int32Array(copy.buffer);
}

function int16sFromBigEndian(bytes: Buffer): Int16Array {
  const copy = new Uint8Array(bytes);
  Buffer.from(copy.buffer).swap16();
  return new Int16Array(copy.buffer);
}

/**
 * Distances and reasons are stored sparsely (see migration SparseChunkNotes): the offsets of the
 * rows that have either, ascending, with their distance and reason (NULL where that row has none).
 */
function notesOf(c: StoredChunk): { offsets: number[]; distances: (number | null)[]; reasons: (string | null)[] } {
  const offsets = [...new Set([...c.distances.keys(), ...c.reasons.keys()])].sort((a, b) => a - b);
  return { offsets, distances: offsets.map((o) => c.distances.get(o) ?? null), reasons: offsets.map((o) => c.reasons.get(o) ?? null) };
}

interface StoredChunkRow {
  firstRow: number;
  rowCount: number;
  boundaryIds: Buffer;
  results: Buffer;
  noteOffsets: number[];
  noteDistances: (number | null)[];
  noteReasons: (string | null)[];
}

function unpackRow(r: StoredChunkRow): StoredChunk {
  const chunk: StoredChunk = {
    firstRow: r.firstRow,
    rowCount: r.rowCount,
    boundaryIds: int32sFromBigEndian(r.boundaryIds),
    results: int16sFromBigEndian(r.results),
    distances: new Map(),
    reasons: new Map(),
  };
  r.noteOffsets.forEach((o, k) => {
    const distance = r.noteDistances[k];
    const reason = r.noteReasons[k];
    if (distance !== null) chunk.distances.set(o, distance);
    if (reason !== null) chunk.reasons.set(o, reason);
  });
  return chunk;
}

const CHUNK_COLUMNS = `first_row AS "firstRow", row_count AS "rowCount", boundary_ids AS "boundaryIds", results,
  note_offsets AS "noteOffsets", note_distances AS "noteDistances", note_reasons AS "noteReasons"`;

/** Reads back results committed earlier (a resumed job rewrites its output from the start). */
export async function loadResults(tx: EntityManager, conversionId: string, fromRow: number, toRow: number): Promise<StoredResult[]> {
  // Chunks are cut by CHUNK_ROWS, which may differ between attempts: take every overlapping one.
  const chunks: StoredChunkRow[] = await tx.query(
    `SELECT ${CHUNK_COLUMNS} FROM conversion_chunks
      WHERE conversion_id = $1 AND first_row < $3 AND first_row + row_count > $2 ORDER BY first_row`,
    [conversionId, fromRow, toRow],
  );
  return chunks.flatMap((c) => unpack(unpackRow(c), fromRow, toRow));
}

function unpack(c: StoredChunk, fromRow: number, toRow: number): StoredResult[] {
  const out: StoredResult[] = [];
  const end = Math.min(toRow, c.firstRow + c.rowCount);
  for (let rowNo = Math.max(fromRow, c.firstRow); rowNo < end; rowNo++) {
    const i = rowNo - c.firstRow;
    out.push({
      rowNo,
      boundaryId: c.boundaryIds[i] || null,
      result: c.results[i],
      distanceMeters: c.distances.get(i) ?? null,
      reason: c.reasons.get(i) ?? null,
    });
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
