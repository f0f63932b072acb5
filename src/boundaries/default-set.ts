import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import { readGeoJsonFeatures } from './geojson-reader';
import { importBoundarySet, type ImportReport } from './import-service';
import { defaultLevelName } from './levels';
import { PROJECT_ROOT } from '../project-root';

/** The bundled census set: dated versions of 2013 and 2018; `kostat-2018` still names the 2018 one. */
export const DEFAULT_SET_NAME = 'kostat';
const DATA_DIR = path.join(PROJECT_ROOT, 'data/boundaries');

/**
 * The bundled KOSTAT census boundaries (시도/시군구/읍면동, 행정동-style), EPSG:4326 TopoJSON, one
 * dated version per census year. 2013's files are quantized (scripts/quantize-topojson.ts), and
 * its 읍면동 simplified by their publisher.
 */
export const BUNDLED_VERSIONS = [
  { year: 2013, validFrom: '2013-01-01' },
  { year: 2018, validFrom: '2018-01-01' },
] as const;

function filesOf(year: number) {
  return [
    { level: 1, file: `skorea-provinces-${year}-topo.json` },
    { level: 2, file: `skorea-municipalities-${year}-topo.json` },
    { level: 3, file: `skorea-submunicipalities-${year}-topo.json` },
  ];
}

/**
 * KOSTAT writes a non-autonomous 구 joined to its city (`수원시장안구`); the official TL_SCCO data and
 * every address writes `수원시 장안구`, so the bundled set is normalised to that.
 */
export function splitCityDistrict(name: string): string {
  const m = /^(\S{1,4}?시)(\S+구)$/.exec(name);
  return m ? `${m[1]} ${m[2]}` : name;
}

/**
 * Loads the bundled set when the database has no boundary set at all (first start), and its 2013
 * version when a database from before dated versions has only the 2018 one.
 */
export async function ensureDefaultBoundarySet(dataSource: DataSource, log: Logger): Promise<ImportReport | null> {
  const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM boundary_sets WHERE status = 'READY'`);
  const loaded: { day: string }[] = await dataSource.query(
    `SELECT valid_from::text AS day FROM boundary_sets WHERE name = $1 AND is_current AND valid_from IS NOT NULL`,
    [DEFAULT_SET_NAME],
  );
  const missing = count === 0 ? BUNDLED_VERSIONS : loaded.length > 0 ? BUNDLED_VERSIONS.filter((v) => !loaded.some((l) => l.day === v.validFrom)) : [];
  const load = async (year: number) => {
    log.info(`Loading the bundled ${DEFAULT_SET_NAME} ${year} boundaries (once)…`);
    const report = await importBundledSet(dataSource, DEFAULT_SET_NAME, year);
    log.info(
      `Loaded ${DEFAULT_SET_NAME} ${year}: ${report.levels.map((l) => `${l.name} ${l.featureCount} (${l.repairedCount} repaired)`).join(', ')} in ${(report.elapsedMs / 1000).toFixed(1)} s`,
    );
    return report;
  };
  // Most of a first start is PostGIS repairing the bundled polygons (ST_MakeValid). The versions
  // load side by side: on PostgreSQL each on a backend of its own; on the embedded database (one
  // connection, in its own thread) one version's files are read and parsed here while the
  // database repairs the other's.
  const reports = await Promise.all(missing.map((v) => load(v.year)));
  return reports.at(-1) ?? null;
}

/** Imports one bundled census year as the dated version of `name` (a plain set when `dated` is false). */
export function importBundledSet(dataSource: DataSource, name = DEFAULT_SET_NAME, year = 2018, dated = true): Promise<ImportReport> {
  const version = BUNDLED_VERSIONS.find((v) => v.year === year);
  if (!version) throw new Error(`No bundled boundaries of ${year}`);
  return importBoundarySet(dataSource, {
    name,
    source: `통계청 통계지리정보서비스(SGIS) 센서스용 행정구역경계, ${year} (${year === 2018 ? '공공누리 제1유형' : 'southkorea/southkorea-maps 변환'})`,
    validFrom: dated ? version.validFrom : null,
    levels: filesOf(year).map(({ level, file }) => ({
      level,
      name: defaultLevelName(level),
      srid: 4326,
      origin: file,
      features: () =>
        readGeoJsonFeatures(path.join(DATA_DIR, file), {
          codeField: 'code',
          nameField: 'name',
          normalizeName: level === 2 ? splitCityDistrict : undefined,
        }),
    })),
  });
}
