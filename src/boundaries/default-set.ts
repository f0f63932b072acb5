import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import { readGeoJsonFeatures } from './geojson-reader';
import { importBoundarySet, type ImportReport } from './import-service';
import { defaultLevelName } from './levels';
import { PROJECT_ROOT } from '../project-root';

export const DEFAULT_SET_NAME = 'kostat-2018';
const DATA_DIR = path.join(PROJECT_ROOT, 'data/boundaries');

/** The bundled KOSTAT 2018 census boundaries (시도/시군구/읍면동), EPSG:4326 TopoJSON. */
const FILES = [
  { level: 1, file: 'skorea-provinces-2018-topo.json' },
  { level: 2, file: 'skorea-municipalities-2018-topo.json' },
  { level: 3, file: 'skorea-submunicipalities-2018-topo.json' },
];

/**
 * KOSTAT writes a non-autonomous 구 joined to its city (`수원시장안구`); the official TL_SCCO data and
 * every address writes `수원시 장안구`, so the bundled set is normalised to that.
 */
export function splitCityDistrict(name: string): string {
  const m = /^(\S{1,4}?시)(\S+구)$/.exec(name);
  return m ? `${m[1]} ${m[2]}` : name;
}

/** Loads the bundled set when the database has no boundary set at all (first start). */
export async function ensureDefaultBoundarySet(dataSource: DataSource, log: Logger): Promise<ImportReport | null> {
  const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM boundary_sets WHERE status = 'READY'`);
  if (count > 0) return null;
  log.info(`No boundary set yet: loading the bundled ${DEFAULT_SET_NAME} boundaries (first start only)…`);
  const report = await importBundledSet(dataSource);
  log.info(
    `Loaded ${DEFAULT_SET_NAME}: ${report.levels.map((l) => `${l.name} ${l.featureCount} (${l.repairedCount} repaired)`).join(', ')} in ${(report.elapsedMs / 1000).toFixed(1)} s`,
  );
  return report;
}

export function importBundledSet(dataSource: DataSource, name = DEFAULT_SET_NAME): Promise<ImportReport> {
  return importBoundarySet(dataSource, {
    name,
    source: '통계청 통계지리정보서비스(SGIS) 센서스용 행정구역경계, 2018 (공공누리 제1유형)',
    levels: FILES.map(({ level, file }) => ({
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
