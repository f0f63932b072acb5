import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importBoundaryFiles } from '../src/boundaries/import-files';
import type { Database } from '../src/db/database';
import { dropBoundarySets, openTestDatabase } from './helpers/database';
import { FIXTURES, onPostgres } from './helpers/server';

const TL = path.join(FIXTURES, 'tl-scco');
const LEVELS = [
  { file: 'TL_SCCO_CTPRVN', code: 'ctprvn_cd', name: 'ctp_kor_nm', level: 1 },
  { file: 'TL_SCCO_SIG', code: 'sig_cd', name: 'sig_kor_nm', level: 2 },
  { file: 'TL_SCCO_EMD', code: 'emd_cd', name: 'emd_kor_nm', level: 3 },
  { file: 'TL_SCCO_LI', code: 'li_cd', name: 'li_kor_nm', level: 4 },
];
const SET = 'tl-scco-vs-shp2pgsql';
const SCHEMA = 'shp2pgsql_reference';
const hasShp2pgsql = spawnSync('shp2pgsql', ['-?'], { encoding: 'utf8' }).error === undefined;

/**
 * The importer against the loader the old pipeline used, `shp2pgsql -s 5179 -W cp949` (Debian
 * package `postgis`), on the same fixture files: the same codes, the same names and the same
 * geometry within 1e-6 degrees once both are in EPSG:4326. shp2pgsql only writes SQL, so this runs
 * on PostgreSQL and on the embedded database alike.
 */
describe(`TL_SCCO import agrees with shp2pgsql (${onPostgres ? 'PostgreSQL' : 'embedded PGlite'})`, { skip: hasShp2pgsql ? false : 'shp2pgsql not installed (Debian package postgis)' }, () => {
  let db: Database;
  let setId: number;

  before(async () => {
    db = await openTestDatabase();
    await dropBoundarySets(db, [SET]);
    await db.dataSource.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}`);
    for (const l of LEVELS) {
      const sql = execFileSync('shp2pgsql', ['-s', '5179', '-W', 'cp949', '-g', 'geom', path.join(TL, `${l.file}.shp`), `${SCHEMA}.${l.file.toLowerCase()}`], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      await db.dataSource.query(sql);
    }
    setId = (await importBoundaryFiles(db.dataSource, LEVELS.map((l) => path.join(TL, `${l.file}.shp`)), { set: SET })).report.setId;
  });
  after(async () => {
    if (!db) return;
    await db.dataSource.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await dropBoundarySets(db, [SET]);
    await db.close();
  });

  for (const l of LEVELS) {
    test(`${l.file}: same codes, names and geometry`, async () => {
      const [row] = await db.dataSource.query(
        `WITH ref AS (SELECT ${l.code} AS code, ${l.name} AS name, ST_Transform(geom, 4326) AS geom FROM ${SCHEMA}.${l.file.toLowerCase()}),
              ours AS (SELECT code, name, geom FROM boundaries WHERE set_id = $1 AND level = $2)
         SELECT (SELECT count(*) FROM ref)::int AS ref_count,
                (SELECT count(*) FROM ours)::int AS our_count,
                count(*)::int AS paired,
                count(*) FILTER (WHERE ref.name IS DISTINCT FROM ours.name)::int AS name_differs,
                max(ST_HausdorffDistance(ref.geom, ours.geom)) AS max_hausdorff,
                max(abs(ST_Area(ref.geom) - ST_Area(ours.geom)) / ST_Area(ref.geom)) AS max_area_ratio,
                string_agg(ours.name, ',' ORDER BY ours.code) FILTER (WHERE ours.name !~ '^[가-힣0-9 ]+$') AS unreadable
           FROM ref JOIN ours ON ours.code = ref.code`,
        [setId, l.level],
      );
      assert.equal(row.ref_count, row.our_count, 'same number of features');
      assert.equal(row.paired, row.ref_count, 'every code of shp2pgsql is imported, and no other');
      assert.equal(row.name_differs, 0, 'same names');
      assert.equal(row.unreadable, null);
      assert.ok(Number(row.max_hausdorff) < 1e-6, `max Hausdorff distance ${row.max_hausdorff}°`);
      assert.ok(Number(row.max_area_ratio) < 1e-9, `max relative area difference ${row.max_area_ratio}`);
    });
  }
});
