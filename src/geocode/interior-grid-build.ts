import type { DataSource, EntityManager } from 'typeorm';
import { buildBoundaryPieces } from './boundary-pieces';
import { GRID_CLEARANCE_METERS, GRID_MAX_Z, GRID_ORIGIN_X, GRID_ORIGIN_Y, InteriorGridBuilder, type InteriorGrid } from './interior-grid';

/** Depth at which each polygon's box is first cut into cells (1/64°, about 1.5 km). */
const START_Z = 6;

/**
 * Polygons handled per transaction: few enough that the single embedded connection is back for
 * other queries within a fraction of a second, enough that BEGIN/COMMIT cost nothing.
 */
const POLYGONS_PER_TRANSACTION = 20;

/** The box of cell (z, i, j) as SQL, from integer expressions for z, i and j. */
const cellBox = (z: string, i: string, j: string) =>
  `ST_MakeEnvelope(${GRID_ORIGIN_X} + (${i})::float8 / (1 << (${z})), ${GRID_ORIGIN_Y} + (${j})::float8 / (1 << (${z})),
                   ${GRID_ORIGIN_X} + ((${i}) + 1)::float8 / (1 << (${z})), ${GRID_ORIGIN_Y} + ((${j}) + 1)::float8 / (1 << (${z})), 4326)`;

/**
 * The quadtree descent both cell statements share, as the recursive CTE `q (z, i, j, <flag>)`
 * over the polygon `p`: the cells of p's box at START_Z that meet it, then the four children of
 * every cell that meets p without passing `test`, down to GRID_MAX_Z. `test` gives the SQL that
 * decides a cell from its box; `startWhere` filters the first cells.
 */
function descent(flag: string, test: (box: string) => string, startWhere: string): string {
  return `    q (z, i, j, ${flag}) AS (
      SELECT ${START_Z}, s.i, s.j, ${test('s.box')}
        FROM p, LATERAL (
          SELECT i, j, ${cellBox(String(START_Z), 'i', 'j')} AS box
            FROM generate_series(floor((ST_XMin(p.geom) - ${GRID_ORIGIN_X}) * ${2 ** START_Z})::int,
                                 floor((ST_XMax(p.geom) - ${GRID_ORIGIN_X}) * ${2 ** START_Z})::int) i,
                 generate_series(floor((ST_YMin(p.geom) - ${GRID_ORIGIN_Y}) * ${2 ** START_Z})::int,
                                 floor((ST_YMax(p.geom) - ${GRID_ORIGIN_Y}) * ${2 ** START_Z})::int) j) s
       WHERE ${startWhere}
      UNION ALL
      SELECT c.z, c.i, c.j, ${test('c.box')}
        FROM q, p, LATERAL (
          SELECT q.z + 1 AS z, q.i * 2 + d.di AS i, q.j * 2 + d.dj AS j,
                 ${cellBox('q.z + 1', 'q.i * 2 + d.di', 'q.j * 2 + d.dj')} AS box
            FROM (VALUES (0, 0), (1, 0), (0, 1), (1, 1)) d (di, dj)) c
       WHERE NOT q.${flag} AND q.z < ${GRID_MAX_Z} AND ST_Intersects(p.geom, c.box))
`;
}

/**
 * One polygon's cells, by quadtree descent in PostGIS: the cells of its box at START_Z, then the
 * four children of every cell it crosses without covering, down to GRID_MAX_Z. A cell it covers
 * (ST_Covers) is reported and not descended; at the finest depth the crossed cells are reported
 * too (the builder needs them to spot overlapping polygons). One statement per polygon keeps
 * every test against the same polygon, so PostGIS prepares it once and each test is cheap, and
 * keeps statements short, so on the single embedded connection other queries get their turn.
 */
const POLYGON_CELLS_SQL = `
  WITH RECURSIVE
    p AS MATERIALIZED (SELECT geom FROM boundaries WHERE id = $1),
${descent('covered', (box) => `ST_Covers(p.geom, ${box})`, 'ST_Intersects(p.geom, s.box)')}  SELECT coalesce(array_agg(z ORDER BY z) FILTER (WHERE covered), '{}') AS "coveredZ",
         coalesce(array_agg(i ORDER BY z) FILTER (WHERE covered), '{}') AS "coveredI",
         coalesce(array_agg(j ORDER BY z) FILTER (WHERE covered), '{}') AS "coveredJ",
         coalesce(array_agg(i) FILTER (WHERE NOT covered AND z = ${GRID_MAX_Z}), '{}') AS "borderI",
         coalesce(array_agg(j) FILTER (WHERE NOT covered AND z = ${GRID_MAX_Z}), '{}') AS "borderJ"
    FROM q`;

/**
 * Depth down to which cells outside the level are tested for CLEAR (1/512°, about 200 m). The
 * finer unknown cells are nearly all on land borders, where the test cannot succeed.
 */
const CLEAR_MAX_Z = 10;
const CLEAR_CELLS_PER_STATEMENT = 2_000;

/**
 * Of the given cells (parallel arrays, 1-based positions returned), those whose box, widened by
 * GRID_CLEARANCE_METERS, meets no piece of any level of the set: every point in them is farther
 * than that from every polygon. The widening is in degrees and errs wide, as in the nearest
 * search: a degree of latitude is at least 110,540 m, a degree of longitude at least
 * 111,320 m × cos(latitude), taken at the cell's poleward edge; plus 1% for good measure.
 */
const CLEAR_CELLS_SQL = `
  SELECT c.k::int AS k
    FROM unnest($2::int[], $3::int[], $4::int[]) WITH ORDINALITY AS c (z, i, j, k)
    CROSS JOIN LATERAL (SELECT ${cellBox('c.z', 'c.i', 'c.j')} AS box) b
    CROSS JOIN LATERAL (SELECT 1.01 * ${GRID_CLEARANCE_METERS} / 110540 AS dlat) m
    CROSS JOIN LATERAL (
      SELECT ST_Expand(b.box, 1.01 * ${GRID_CLEARANCE_METERS} / (111320 * greatest(cos(radians(ST_YMax(b.box) + m.dlat)), 0.01)), m.dlat) AS wide
    ) w
   WHERE NOT EXISTS (SELECT 1 FROM boundary_pieces bp WHERE bp.set_id = $1 AND bp.geom && w.wide AND ST_Intersects(bp.geom, w.wide))`;

interface PolygonCells {
  coveredZ: number[];
  coveredI: number[];
  coveredJ: number[];
  borderI: number[];
  borderJ: number[];
}

/** The area of a finest cell in square degrees: a part of a polygon smaller than it covers no cell. */
const FINEST_CELL_AREA = 1 / 2 ** (2 * GRID_MAX_Z);

/**
 * How far (in degrees, both ways) a cell of a shallower level must stay from every polygon of a
 * deeper level and from every other polygon of its own level: 1e-5° is at least 0.8 m anywhere in
 * the frame (32°–40°N), far beyond the 1 cm within which c2r_geocode_points prefers a deeper
 * level's NEAREST polygon to the shallower polygon that contains the point.
 */
const SHALLOW_MARGIN_DEGREES = 1e-5;

/**
 * The cells a polygon of a shallower level (읍면동 where the set has 리, 시군구, 시도) decides:
 * those where it is the deepest polygon containing the point, i.e. the cell's box, widened by
 * SHALLOW_MARGIN_DEGREES, lies inside the polygon and meets no piece of a deeper level nor
 * another polygon of the same level. For every point of such a cell c2r_geocode_points finds no
 * deepest-level hit, only this polygon and its ancestors at distance 0 and no deeper polygon
 * within 1 cm, so it answers this polygon (OK), exactly as the grid does.
 *
 * The descent follows the polygon's part that deeper polygons leave uncovered (its own area
 * minus the union of the next deeper level's polygons whose inner point it contains, in parts of
 * at least a finest cell): for a 동 without 리 that is all of it, for a 읍/면 split into 리 or a
 * 시군구 split into 읍면동 nothing, and the statement ends at once. That part only guides the
 * descent; every claimed cell is checked against the polygon itself and the pieces above.
 * $1 the polygon's id, $2 the next deeper level.
 */
const SHALLOW_POLYGON_CELLS_SQL = `
  WITH RECURSIVE
    p0 AS MATERIALIZED (SELECT id, set_id, level, geom FROM boundaries WHERE id = $1),
    deeper AS MATERIALIZED (
      SELECT q.geom FROM boundaries q, p0
       WHERE q.set_id = p0.set_id AND q.level = $2 AND q.geom && p0.geom AND ST_Contains(p0.geom, ST_PointOnSurface(q.geom))),
    p AS MATERIALIZED (
      SELECT p0.id, p0.set_id, p0.level, p0.geom AS whole,
             CASE WHEN NOT EXISTS (SELECT 1 FROM deeper) THEN p0.geom
                  WHEN ST_Area(p0.geom) - (SELECT sum(ST_Area(geom)) FROM deeper) < ${FINEST_CELL_AREA} THEN NULL
                  ELSE (SELECT ST_Collect(d.geom) FROM ST_Dump(ST_Difference(p0.geom, (SELECT ST_Union(geom) FROM deeper))) d
                         WHERE ST_Area(d.geom) >= ${FINEST_CELL_AREA}) END AS geom
        FROM p0),
${descent('claimed', claims, 'p.geom IS NOT NULL AND ST_Intersects(p.geom, s.box)')}  SELECT coalesce(array_agg(z ORDER BY z) FILTER (WHERE claimed), '{}') AS "coveredZ",
         coalesce(array_agg(i ORDER BY z) FILTER (WHERE claimed), '{}') AS "coveredI",
         coalesce(array_agg(j ORDER BY z) FILTER (WHERE claimed), '{}') AS "coveredJ",
         '{}'::int[] AS "borderI", '{}'::int[] AS "borderJ"
    FROM q`;

/** SQL: whether polygon p (of SHALLOW_POLYGON_CELLS_SQL) decides the cell with this box. */
function claims(box: string): string {
  const wide = `ST_Expand(${box}, ${SHALLOW_MARGIN_DEGREES})`;
  return `(ST_Covers(p.geom, ${box}) AND ST_Covers(p.whole, ${wide})
           AND NOT EXISTS (SELECT 1 FROM boundary_pieces bp
                            WHERE bp.set_id = p.set_id AND bp.geom && ${wide}
                              AND (bp.level > p.level OR (bp.level = p.level AND bp.boundary_id <> p.id))
                              AND ST_Intersects(bp.geom, ${wide})))`;
}

/**
 * Builds the interior grid of a set: one mosaic of its leaf polygons (about 16 s for the 3,504
 * 읍면동 of KOSTAT 2018 on PostgreSQL). A cell is labelled with a polygon of the deepest level
 * when the polygon covers it (and no other polygon of that level touches it), and with a polygon
 * P of a shallower level when P covers it and no polygon of a deeper level comes near it (see
 * SHALLOW_POLYGON_CELLS_SQL): in both cases the label is what c2r_geocode_points answers for any
 * point of the cell (the deepest level containing the point, then NEAREST). So a set in the
 * official layout, 리 only under 읍/면, is decided by the grid in 동 areas too. Border cells of
 * the deepest level are kept in compact arrays until every polygon's covered cells are in, then
 * applied (see InteriorGridBuilder).
 */
export async function buildInteriorGrid(dataSource: DataSource, setId: number, signal?: AbortSignal): Promise<{ grid: InteriorGrid; coveredCells: number }> {
  // The set's pieces first: the CLEAR test below needs them, and so do the shallower levels'
  // claims, the nearest search and the single-point lookup, which would otherwise build them
  // (seconds) inside a user's request.
  await buildBoundaryPieces(dataSource, setId, signal);
  const levels = ((await dataSource.query(`SELECT DISTINCT level FROM boundaries WHERE set_id = $1`, [setId])) as { level: number }[])
    .map((r) => r.level)
    .sort((a, b) => b - a);
  const builder = new InteriorGridBuilder();
  const borders = new GrowableInt32Array();
  for (const [k, level] of levels.entries()) {
    const polygons: { id: number }[] = await dataSource.query(`SELECT id FROM boundaries WHERE set_id = $1 AND level = $2 ORDER BY id`, [setId, level]);
    const deepest = k === 0;
    for (let from = 0; from < polygons.length; from += POLYGONS_PER_TRANSACTION) {
      signal?.throwIfAborted();
      await withoutJit(dataSource, async (tx) => {
        for (const { id } of polygons.slice(from, from + POLYGONS_PER_TRANSACTION)) {
          const [cells]: PolygonCells[] = deepest ? await tx.query(POLYGON_CELLS_SQL, [id]) : await tx.query(SHALLOW_POLYGON_CELLS_SQL, [id, levels[k - 1]]);
          for (let c = 0; c < cells.coveredZ.length; c++) builder.addCovered(cells.coveredZ[c], cells.coveredI[c], cells.coveredJ[c], id);
          for (let c = 0; c < cells.borderI.length; c++) borders.push(cells.borderI[c], cells.borderJ[c]);
        }
      });
    }
  }
  const b = borders.view();
  for (let k = 0; k < b.length; k += 2) builder.addBorder(b[k], b[k + 1]);

  // Cells no polygon of any level covers: out at sea, abroad, or in a gap between polygons.
  // Tested coarse to fine: a cell that is not clear as a whole is split and its quarters tested.
  let unknown = builder.unknownCells(CLEAR_MAX_Z);
  while (unknown.length > 0) {
    const next: typeof unknown = [];
    for (let from = 0; from < unknown.length; from += CLEAR_CELLS_PER_STATEMENT) {
      signal?.throwIfAborted();
      const batch = unknown.slice(from, from + CLEAR_CELLS_PER_STATEMENT);
      const clear: { k: number }[] = await withoutJit(dataSource, (tx) =>
        tx.query(CLEAR_CELLS_SQL, [setId, batch.map((c) => c.z), batch.map((c) => c.i), batch.map((c) => c.j)]),
      );
      const isClear = new Set(clear.map(({ k }) => k - 1));
      batch.forEach((cell, m) => {
        if (isClear.has(m)) builder.markClear(cell.slot);
        else if (cell.z < CLEAR_MAX_Z) {
          builder.splitUnknown(cell.slot).forEach((slot, q) => next.push({ z: cell.z + 1, i: cell.i * 2 + (q & 1), j: cell.j * 2 + (q >> 1), slot }));
        }
      });
    }
    unknown = next;
  }
  return { grid: builder.finish(), coveredCells: builder.cellsAdded };
}

/** A short transaction of small statements: JIT would spend ~300 ms compiling each of them. */
async function withoutJit<T>(dataSource: DataSource, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return dataSource.transaction(async (tx) => {
    await tx.query(`SET LOCAL jit = off`);
    return work(tx);
  });
}

/** Pairs of cell indexes, without a JavaScript array of a million numbers on the heap. */
class GrowableInt32Array {
  private data = new Int32Array(1 << 16);
  private length = 0;

  push(a: number, b: number): void {
    if (this.length + 2 > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = a;
    this.data[this.length++] = b;
  }

  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}
