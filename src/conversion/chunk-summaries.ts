import type { EntityManager } from 'typeorm';
import type { BoundaryCatalog } from '../boundaries/catalog';
import type { GeocodedChunk } from '../geocode/chunk-geocoder';
import { RESULT_CODE, resultFromCode, type MatchResult } from '../geocode/result-codes';
import type { ChunkRows, Row } from '../reading/table-source';
import { parseCoordinate } from '../detection/coordinates';
import { distanceNote, reasonNote, type OutputLanguage } from './output-words';

/**
 * What a conversion shows besides its totals, kept per committed chunk in
 * conversion_chunk_summaries (see migration ConversionSummaries): matched rows per boundary, and
 * the rows that need a look. Stored in the chunk's own commit statement, so a resumed job finds
 * each chunk's summary exactly when it finds the chunk; read back by regionCounts and problemRows
 * without touching the chunks' packed results (which are dropped when the conversion ends).
 */
export interface ChunkSummary {
  firstRow: number;
  sheet: string;
  srid: number;
  regionIds: number[];
  regionRows: number[];
  problemRowNumbers: number[];
  problemResults: number[];
  problemXs: (number | null)[];
  problemYs: (number | null)[];
  problemReasons: (string | null)[];
  problemDistances: (number | null)[];
}

export interface ChunkPlace {
  sheet: string;
  srid: number;
  /** The spreadsheet row number (1-based, as Excel shows it) of the chunk's first row. */
  firstRowNumber: number;
  xIndex: number;
  yIndex: number;
}

/** One pass over a chunk's results: counts per boundary of the OK and NEAREST rows, and the other rows. */
export function summarizeChunk(firstRow: number, chunk: GeocodedChunk, rows: ChunkRows, xs: Float64Array, ys: Float64Array, place: ChunkPlace): ChunkSummary {
  const counts = new Map<number, number>();
  const s: ChunkSummary = {
    firstRow,
    sheet: place.sheet,
    srid: place.srid,
    regionIds: [],
    regionRows: [],
    problemRowNumbers: [],
    problemResults: [],
    problemXs: [],
    problemYs: [],
    problemReasons: [],
    problemDistances: [],
  };
  for (let i = 0; i < chunk.rowCount; i++) {
    const result = chunk.results[i];
    if (result === RESULT_CODE.OK || result === RESULT_CODE.NEAREST) {
      const id = chunk.boundaryIds[i];
      counts.set(id, (counts.get(id) ?? 0) + 1);
      if (result === RESULT_CODE.OK) continue;
    }
    s.problemRowNumbers.push(place.firstRowNumber + i);
    s.problemResults.push(result);
    if (result === RESULT_CODE.INVALID) {
      // As read where a cell holds a number; null where it does not.
      s.problemXs.push(numberOrNull(rows.cell(i, place.xIndex)));
      s.problemYs.push(numberOrNull(rows.cell(i, place.yIndex)));
    } else {
      s.problemXs.push(xs[i]);
      s.problemYs.push(ys[i]);
    }
    s.problemReasons.push(chunk.reasons.get(i) ?? null);
    s.problemDistances.push(chunk.distances.get(i) ?? null);
  }
  for (const [id, n] of counts) {
    s.regionIds.push(id);
    s.regionRows.push(n);
  }
  return s;
}

function numberOrNull(cell: Row[number] | undefined): number | null {
  const parsed = parseCoordinate(cell ?? null);
  return 'value' in parsed ? parsed.value : null;
}

/**
 * More stored with a chunk, in the same statement as JobQueue.commitChunk: data-modifying CTEs
 * (`name AS (INSERT … SELECT … FROM held)`) that take their values through `param`, which
 * returns the placeholder.
 */
export type AlsoStored = (param: (value: unknown) => string) => string[];

/** The summary's insert, as a CTE for commitChunk (it inserts only when the lease holds). */
export function storeSummary(s: ChunkSummary): AlsoStored {
  return (param) => {
    return [
      `summary AS (
        INSERT INTO conversion_chunk_summaries (conversion_id, first_row, sheet, srid, region_ids, region_rows, problem_count,
          problem_row_numbers, problem_results, problem_xs, problem_ys, problem_reasons, problem_distances)
        SELECT held.id, ${param(s.firstRow)}::integer, ${param(s.sheet)}::text, ${param(s.srid)}::integer,
               ${param(s.regionIds)}::integer[], ${param(s.regionRows)}::integer[], ${param(s.problemRowNumbers.length)}::integer,
               ${param(s.problemRowNumbers)}::integer[], ${param(s.problemResults)}::smallint[], ${param(s.problemXs)}::float8[],
               ${param(s.problemYs)}::float8[], ${param(s.problemReasons)}::text[], ${param(s.problemDistances)}::real[]
          FROM held)`,
    ];
  };
}

export interface RegionCountRow {
  code: string;
  name: string;
  rows: number;
  /**
   * The set version whose polygon the region is: the conversion's own version (the first catalog)
   * for every code it has, else the version the rows were matched in (a region only an older or
   * newer version has, such as 청원군 in 2013).
   */
  setId: number;
}

/**
 * Matched rows per region of `level`, from the boundaries the rows were matched to (a 읍면동
 * counts for its 시군구 and 시도). A row matched only at a shallower level (a NEAREST 시도) counts
 * for that level and those above. Largest first, then by code.
 *
 * `catalogs` are the versions of the conversion's (first) set, its own version first: a row dated
 * by a column is matched in the version valid on its date, so its boundary id is found in that
 * version's catalog. Regions are counted by code across versions (the census code of an unchanged
 * region is the same in every version; a changed region gets a new code), named as the
 * conversion's own version names them where it has the code.
 */
export async function regionCounts(db: EntityManager, catalogs: readonly BoundaryCatalog[], conversionId: string, level: number): Promise<RegionCountRow[]> {
  const rows: { id: number; n: string }[] = await db.query(
    `SELECT u.id, sum(u.n) AS n
       FROM conversion_chunk_summaries s, unnest(s.region_ids, s.region_rows) AS u (id, n)
      WHERE s.conversion_id = $1
      GROUP BY u.id`,
    [conversionId],
  );
  const [own] = catalogs;
  const ownByCode = new Map<string, string>();
  const byCode = new Map<string, RegionCountRow>();
  for (const r of rows) {
    const catalog = catalogs.find((c) => c.get(r.id));
    const entry = catalog?.get(r.id);
    const code = entry?.codes[level];
    if (!catalog || !entry || !code) continue;
    const found = byCode.get(code);
    if (found) found.rows += Number(r.n);
    else {
      const setId = catalog === own || ownHas(own, level, code, ownByCode) ? own.setId : catalog.setId;
      byCode.set(code, { code, name: entry.names.slice(1, level + 1).filter(Boolean).join(' '), rows: Number(r.n), setId });
    }
  }
  // A region of the conversion's own version keeps that version's name whichever version matched its rows.
  for (const row of byCode.values()) if (row.setId === own.setId) row.name = ownByCode.get(row.code) ?? row.name;
  return [...byCode.values()].sort((a, b) => b.rows - a.rows || a.code.localeCompare(b.code));
}

/** Whether the catalog has a region of `level` with `code`; fills `names` (code → name path) on first use. */
function ownHas(catalog: BoundaryCatalog, level: number, code: string, names: Map<string, string>): boolean {
  if (names.size === 0) {
    for (const entry of catalog.entries()) {
      const c = entry.codes[level];
      if (c && !names.has(c)) names.set(c, entry.names.slice(1, level + 1).filter(Boolean).join(' '));
    }
  }
  return names.has(code);
}

export interface ProblemRowView {
  sheet: string;
  rowNumber: number;
  result: MatchResult;
  x: number | null;
  y: number | null;
  /** The point in EPSG:4326, for a map; null when the row has no usable coordinates. */
  lon: number | null;
  lat: number | null;
  reason: string | null;
}

/**
 * Rows `offset` to `offset + first - 1` of the conversion's NEAREST, NO_MATCH and INVALID rows,
 * in file order. Only the chunks that hold them are read: each chunk's place in the sequence is
 * the running sum of problem_count over the chunks before it.
 */
export async function problemRows(
  db: EntityManager,
  conversionId: string,
  first: number,
  offset: number,
  language: OutputLanguage,
): Promise<ProblemRowView[]> {
  const rows: {
    sheet: string;
    rowNumber: number;
    result: number;
    x: number | null;
    y: number | null;
    lon: number | null;
    lat: number | null;
    reason: string | null;
    distance: number | null;
  }[] = await db.query(
    `WITH placed AS (
       SELECT first_row, sum(problem_count) OVER (ORDER BY first_row) - problem_count AS before, problem_count
         FROM conversion_chunk_summaries WHERE conversion_id = $1
     ), wanted AS (
       SELECT * FROM placed WHERE before < $3::bigint + $2::bigint AND before + problem_count > $3::bigint
     )
     SELECT s.sheet, u.row_number AS "rowNumber", u.result, u.x, u.y, u.reason, u.distance, ST_X(t.g) AS lon, ST_Y(t.g) AS lat
       FROM wanted w
       JOIN conversion_chunk_summaries s ON s.conversion_id = $1 AND s.first_row = w.first_row
       CROSS JOIN LATERAL unnest(s.problem_row_numbers, s.problem_results, s.problem_xs, s.problem_ys, s.problem_reasons, s.problem_distances)
                  WITH ORDINALITY AS u (row_number, result, x, y, reason, distance, k)
       -- Usable coordinates only (never an INVALID row's); a point PROJ rejects gets none.
       LEFT JOIN LATERAL (
         SELECT CASE WHEN s.srid = 4326 THEN ST_SetSRID(ST_MakePoint(u.x, u.y), 4326)
                     ELSE c2r_try_transform(ST_SetSRID(ST_MakePoint(u.x, u.y), s.srid), 4326) END AS g
          WHERE u.result <> ${RESULT_CODE.INVALID}
       ) t ON true
      WHERE w.before + u.k - 1 >= $3::bigint AND w.before + u.k - 1 < $3::bigint + $2::bigint
      ORDER BY s.first_row, u.k`,
    [conversionId, first, offset],
  );
  return rows.map((r) => ({
    sheet: r.sheet,
    rowNumber: r.rowNumber,
    result: resultFromCode(r.result),
    x: r.x,
    y: r.y,
    lon: r.lon,
    lat: r.lat,
    reason: r.reason !== null ? reasonNote(r.reason, language) : r.distance !== null ? distanceNote(r.distance, language) : null,
  }));
}
