import type { DataSource, EntityManager } from 'typeorm';
import type { BoundaryLevelInfo } from '../entities/BoundarySet';
import type { BoundaryFeature, LevelSource } from './features';

export interface ImportRequest {
  /** Set name; importing an existing name creates its next version. */
  name: string;
  /** Where the data came from, shown by `boundarySets`. */
  source: string;
  levels: LevelSource[];
  /**
   * `YYYY-MM-DD`: the day this version starts to apply (a dated version, valid until the next one
   * of the name starts). Re-importing a name with the same date replaces that version only.
   */
  validFrom?: string | null;
  /** Names the set's columns beside another set's (`읍면동(법정동)`); kept from the previous version when absent. */
  label?: string | null;
  onProgress?: (event: ImportProgress) => void;
  /** Called when a step after loading starts (linking parents, switching versions), for progress output. */
  onStep?: (step: string) => void;
}

export interface ImportProgress {
  level: number;
  levelName: string;
  featuresLoaded: number;
}

export interface ImportReport {
  setId: number;
  name: string;
  version: number;
  levels: BoundaryLevelInfo[];
  /** Codes whose parent was not found by code prefix (their upper names stay empty). */
  orphans: number;
  elapsedMs: number;
}

/** Features sent to PostGIS per statement: large enough to amortise round trips, small enough for PGlite. */
const BATCH = 250;

/**
 * Loads a boundary set into PostGIS: geometry repaired (ST_MakeValid) where invalid, reprojected
 * to EPSG:4326, parents linked by code prefix, full name/code paths precomputed. The new version
 * becomes current only once complete, in one transaction, so lookups never see a half-loaded set
 * and conversions that pinned the previous version finish on it.
 */
export async function importBoundarySet(dataSource: DataSource, request: ImportRequest): Promise<ImportReport> {
  const started = Date.now();
  if (request.levels.length === 0) throw new Error('Nothing to import: no levels given');
  const levelNumbers = request.levels.map((l) => l.level);
  if (new Set(levelNumbers).size !== levelNumbers.length) throw new Error(`Two files claim the same level (${levelNumbers.join(', ')})`);

  const { id: setId, version } = await insertVersion(dataSource, request);

  try {
    const levels: BoundaryLevelInfo[] = [];
    for (const source of [...request.levels].sort((a, b) => a.level - b.level)) {
      levels.push(await loadLevel(dataSource, setId, source, request.onProgress));
    }
    // Fresh statistics first: without them the planner takes the new set for empty and links
    // parents with a nested loop (22 s instead of 1 s for the 5,648 리 of a second TL_SCCO set).
    await dataSource.query(`ANALYZE boundaries`);
    request.onStep?.('linking every polygon to its parent by code prefix');
    const orphans = await linkHierarchy(dataSource, setId, levels.map((l) => l.level));
    request.onStep?.(`switching ${request.name} to version ${version}`);
    await dataSource.transaction(async (tx) => {
      await retireCurrent(tx, request.name, request.validFrom ?? null);
      if (request.label) await tx.query(`UPDATE boundary_sets SET label = $2 WHERE name = $1`, [request.name, request.label]);
      await tx.query(
        `UPDATE boundary_sets SET status = 'READY', is_current = true, levels = $2, loaded_at = now() WHERE id = $1`,
        [setId, JSON.stringify(levels)],
      );
    });
    await dataSource.query(`ANALYZE boundaries`);
    return { setId, name: request.name, version, levels, orphans, elapsedMs: Date.now() - started };
  } catch (err) {
    await dataSource.query(`DELETE FROM boundary_sets WHERE id = $1`, [setId]).catch(() => {});
    throw err;
  }
}

/**
 * The new version's row (LOADING), numbered after the name's last version. Two imports of one
 * name at once (the bundled set's dated versions load side by side) may both pick the same
 * number: the unique (name, version) refuses the second, which takes the next number.
 */
async function insertVersion(dataSource: DataSource, request: ImportRequest): Promise<{ id: number; version: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const [row] = await dataSource.query(
        `INSERT INTO boundary_sets (name, version, source, source_srid, status, valid_from, label)
         SELECT $1, coalesce(max(version), 0) + 1, $2, $3, 'LOADING', $4::date,
                coalesce($5, (SELECT label FROM boundary_sets WHERE name = $1 AND label IS NOT NULL ORDER BY version DESC LIMIT 1))
           FROM boundary_sets WHERE name = $1
         RETURNING id, version`,
        [request.name, request.source, request.levels[0].srid, request.validFrom ?? null, request.label ?? null],
      );
      return row;
    } catch (err) {
      if ((err as { code?: string }).code !== '23505' || attempt >= 5) throw err;
    }
  }
}

/** The version this one replaces: the current one of the same name and date (an undated import replaces undated ones). */
async function retireCurrent(tx: EntityManager, name: string, validFrom: string | null): Promise<void> {
  await tx.query(`UPDATE boundary_sets SET is_current = false WHERE name = $1 AND is_current AND valid_from IS NOT DISTINCT FROM $2::date`, [name, validFrom]);
}

async function loadLevel(
  dataSource: DataSource,
  setId: number,
  source: LevelSource,
  onProgress?: (event: ImportProgress) => void,
): Promise<BoundaryLevelInfo> {
  let featureCount = 0;
  let repairedCount = 0;
  let batch: BoundaryFeature[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const [row] = await dataSource.query(insertBatchSql, [
      setId,
      source.level,
      source.srid,
      batch.map((f) => f.code),
      batch.map((f) => f.name),
      batch.map((f) => JSON.stringify(f.geometry)),
    ]);
    featureCount += Number(row.inserted);
    repairedCount += Number(row.repaired);
    batch = [];
    onProgress?.({ level: source.level, levelName: source.name, featuresLoaded: featureCount });
  };
  for await (const feature of source.features()) {
    batch.push(feature);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  if (featureCount === 0) throw new Error(`${source.origin}: no polygons found for level ${source.level} (${source.name})`);
  return { level: source.level, name: source.name, featureCount, repairedCount };
}

// Validity is tested with ST_IsValidDetail, which (unlike ST_IsValid) does not emit a NOTICE per polygon,
// after the transform to EPSG:4326: rounding in the transform can make a valid polygon invalid (3 of
// the TL_SCCO sample's, reprojected from EPSG:5179, self-intersect), and the embedded PostGIS's
// ST_Subdivide kills its backend on such a polygon, so a repair before the transform is not enough.
// ST_CollectionExtract(…, 3) keeps the polygonal part of what ST_MakeValid returns (it may add lines).
const insertBatchSql = `
  WITH raw AS (
    SELECT u.code, u.name, ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(u.geojson), $3::int), 4326) AS geom
    FROM unnest($4::text[], $5::text[], $6::text[]) AS u(code, name, geojson)
  ), checked AS (
    SELECT code, name, geom, (ST_IsValidDetail(geom)).valid AS valid FROM raw
  ), inserted AS (
    INSERT INTO boundaries (set_id, level, code, name, geom)
    SELECT $1, $2, code, name,
           ST_Multi(ST_CollectionExtract(CASE WHEN valid THEN geom ELSE ST_MakeValid(geom) END, 3))
    FROM checked
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT count(*) FROM checked WHERE NOT valid) AS repaired`;

/**
 * Links every polygon to the one above it whose code is a prefix of its own (the Korean codes are
 * hierarchical: 읍면동 1101053 → 시군구 11010 → 시도 11) and stores the full name and code paths,
 * indexed by level, so that `names[3]` is always the 읍면동 name. Returns how many found no parent.
 */
async function linkHierarchy(dataSource: DataSource, setId: number, levels: number[]): Promise<number> {
  const sorted = [...levels].sort((a, b) => a - b);
  let orphans = 0;
  for (const [i, level] of sorted.entries()) {
    const parentLevel = i === 0 ? undefined : sorted[i - 1];
    if (parentLevel !== undefined) {
      // One pass per parent code length (normally just one) so the join is an equality a hash join can use.
      const lengths: { len: number }[] = await dataSource.query(
        `SELECT DISTINCT length(code) AS len FROM boundaries WHERE set_id = $1 AND level = $2`,
        [setId, parentLevel],
      );
      for (const { len } of lengths) {
        await dataSource.query(
          `UPDATE boundaries c
              SET parent_id = p.id,
                  names = p.names || array_fill(NULL::text, ARRAY[c.level - p.level - 1]) || c.name,
                  codes = p.codes || array_fill(NULL::text, ARRAY[c.level - p.level - 1]) || c.code
             FROM boundaries p
            WHERE c.set_id = $1 AND c.level = $2 AND c.names IS NULL AND length(c.code) > $4
              AND p.set_id = $1 AND p.level = $3 AND p.code = left(c.code, $4)`,
          [setId, level, parentLevel, len],
        );
      }
    }
    const result = await dataSource.query(
      `UPDATE boundaries
          SET names = array_fill(NULL::text, ARRAY[level - 1]) || name,
              codes = array_fill(NULL::text, ARRAY[level - 1]) || code
        WHERE set_id = $1 AND level = $2 AND names IS NULL`,
      [setId, level],
    );
    if (parentLevel !== undefined) orphans += affectedRows(result);
  }
  return orphans;
}

/** TypeORM's postgres driver returns [rows, count] for UPDATE statements run through query(). */
function affectedRows(result: unknown): number {
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
