/**
 * Spot checks of a loaded TL_SCCO set (the full sample, not the test fixture): the lookup
 * semantics of issue 3 and the 1,229 InnerCentroid points. Uses the configured database
 * (DATABASE_URL, else the embedded one in DATA_DIR), like the CLI.
 *
 *   npx tsx scripts/check-tl-scco-lookups.ts <InnerCentroid.tsv> [set name, default tl-scco]
 */
import fs from 'node:fs';
import { CatalogCache } from '../src/boundaries/catalog';
import { BoundarySetService } from '../src/boundaries/set-service';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { Geocoder } from '../src/geocode/geocoder';
import { InteriorGridCache } from '../src/geocode/interior-grid-cache';
import { ReverseGeocodeService } from '../src/geocode/reverse-geocode-service';
import { createLogger } from '../src/logger';

const [tsv, setName = 'tl-scco'] = process.argv.slice(2);
if (!tsv) {
  console.error('usage: tsx scripts/check-tl-scco-lookups.ts <InnerCentroid.tsv> [set name]');
  process.exit(2);
}
const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  const sets = new BoundarySetService(db.dataSource);
  const catalogs = new CatalogCache(db.dataSource);
  // No interior grid is loaded: every point goes through PostGIS, with the same answers.
  const geocoder = new Geocoder(db.dataSource, catalogs, new InteriorGridCache(db.dataSource, createLogger('error'), false));
  const service = new ReverseGeocodeService(db.dataSource, sets, catalogs, geocoder, 200);
  const set = await sets.resolve(setName);
  const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, [set.id, ...params]);
  const show = (label: string, r: Awaited<ReturnType<typeof service.lookup>>) =>
    console.log(`${label}: ${r.result} level ${r.level} ${r.code ?? '-'} ${r.address ?? '-'}${r.distanceMeters === null ? '' : ` (${r.distanceMeters.toFixed(1)} m)`}`);

  const pointIn = async (code: string) =>
    (await q(`SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) p FROM boundaries WHERE set_id = $1 AND code = $2) s`, [code]))[0];
  show('point in 철마면 2리 (2131033002)', await service.lookup({ ...(await pointIn('2131033002')), boundarySet: setName }));
  show('point in 사직동 (1101053)', await service.lookup({ ...(await pointIn('1101053')), boundarySet: setName }));
  const [east] = await q(`SELECT ST_X(pt) x, ST_Y(pt) y FROM (SELECT (ST_DumpPoints(geom)).geom pt FROM boundaries WHERE set_id = $1 AND code = '21') v ORDER BY ST_X(pt) DESC LIMIT 1`);
  show('100 m east of 부산\'s easternmost vertex', await service.lookup({ x: east.x + 100 / (111_320 * Math.cos((east.y * Math.PI) / 180)), y: east.y, boundarySet: setName }));
  show('open sea (129.5, 34.6)', await service.lookup({ x: 129.5, y: 34.6, boundarySet: setName }));

  const lines = fs.readFileSync(tsv, 'utf8').trim().split(/\r?\n/).map((l) => l.split('\t'));
  const h = lines[0];
  const counts: Record<string, number> = {};
  let ownCode = 0;
  const started = Date.now();
  for (const row of lines.slice(1)) {
    const [admcd, admnm] = [row[h.indexOf('admcd')], row[h.indexOf('admnm')]];
    const p = { x: Number(row[h.indexOf('x')]), y: Number(row[h.indexOf('y')]), srid: 5179, boundarySet: setName };
    const r = await service.lookup(p);
    counts[r.result] = (counts[r.result] ?? 0) + 1;
    if (r.code?.slice(0, 7) === admcd) ownCode++;
    if (r.result !== 'OK') {
      show(`${admcd} ${admnm}`, r);
      if (r.result === 'NO_MATCH') show(`${admcd} ${admnm} with maxDistanceMeters 3000`, await service.lookup({ ...p, maxDistanceMeters: 3000 }));
    }
  }
  console.log(`${lines.length - 1} points in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}; own 7-digit code: ${ownCode}`);
} finally {
  await db.close();
}
