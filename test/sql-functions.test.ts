import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../src/db/database';
import { checkFunctionDrift, describeDrift } from '../src/db/function-drift';
import { RESULT_CODE } from '../src/geocode/result-codes';
import { geocodeSqlFunctions } from '../src/geocode/sql-functions';
import { openTestDatabase } from './helpers/database';
import { freshDataDir, onPostgres, startTestServer } from './helpers/server';

type TestDatabase = Awaited<ReturnType<typeof openTestDatabase>>;

const TRY_TRANSFORM_OTHER = `CREATE OR REPLACE FUNCTION c2r_try_transform(g geometry, srid integer) RETURNS geometry
  LANGUAGE plpgsql IMMUTABLE STRICT AS $$ BEGIN RETURN NULL; END $$`;

/** Puts back the expected texts (and drops what a test added), so a shared database stays as it was. */
async function restore(db: TestDatabase) {
  await db.dataSource.query(`DROP FUNCTION IF EXISTS c2r_geocode_points(integer)`);
  for (const fn of geocodeSqlFunctions()) await db.dataSource.query(fn.sql);
}

describe('SQL functions: the .sql texts and the drift check', () => {
  let db: TestDatabase;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    if (db) await restore(db);
    await db?.close();
  });

  test('the migrated database holds exactly the texts of src/geocode/sql', async () => {
    const report = await checkFunctionDrift(db.dataSource, geocodeSqlFunctions());
    assert.deepEqual(describeDrift(report), []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.functions.map((f) => [f.name, f.state]), [['c2r_try_transform', 'ok'], ['c2r_geocode_points', 'ok']]);
  });

  test('c2r_geocode_points.sql returns the result codes of result-codes.ts', () => {
    const sql = geocodeSqlFunctions().find((f) => f.name === 'c2r_geocode_points')!.sql;
    assert.ok(sql.includes(`CASE WHEN p.geom IS NULL THEN ${RESULT_CODE.INVALID}\n`));
    assert.ok(sql.includes(`WHEN h.boundary_id IS NOT NULL OR st.boundary_id IS NOT NULL THEN ${RESULT_CODE.OK}\n`));
    assert.ok(sql.includes(`WHEN n.boundary_id IS NULL THEN ${RESULT_CODE.NO_MATCH}\n`));
    assert.ok(sql.includes(`WHEN n.distance_m IS NULL THEN ${RESULT_CODE.OK}\n`));
    assert.ok(sql.includes(`ELSE ${RESULT_CODE.NEAREST} END)::smallint`));
  });

  test('a changed body, a missing function and a left-over signature are each named', async () => {
    try {
      await db.dataSource.query(TRY_TRANSFORM_OTHER);
      await db.dataSource.query(`CREATE FUNCTION c2r_geocode_points(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1'`);
      let report = await checkFunctionDrift(db.dataSource, geocodeSqlFunctions());
      assert.equal(report.ok, false);
      const [tryTransform, geocodePoints] = report.functions;
      assert.equal(tryTransform.state, 'differs');
      assert.equal(tryTransform.source, 'src/geocode/sql/c2r_try_transform.sql');
      assert.match(tryTransform.firstDifference!.installed, /RETURN NULL; END/);
      assert.equal(geocodePoints.state, 'ok');
      assert.deepEqual(geocodePoints.extraSignatures, ['c2r_geocode_points(integer)']);
      assert.match(describeDrift(report).join('\n'), /c2r_try_transform differs from src\/geocode\/sql\/c2r_try_transform\.sql/);

      await db.dataSource.query(
        `DROP FUNCTION c2r_geocode_points(bytea, integer[], integer, integer, integer, integer, integer[], float8, integer[], integer[])`,
      );
      report = await checkFunctionDrift(db.dataSource, geocodeSqlFunctions());
      assert.equal(report.functions[1].state, 'missing');
    } finally {
      await restore(db);
    }
    assert.equal((await checkFunctionDrift(db.dataSource, geocodeSqlFunctions())).ok, true);
  });

  test('healthz reports the drift found at start and still answers 200', async () => {
    // On the embedded default the server gets a copy of the template changed here beforehand; on
    // PostgreSQL it shares this database, changed while it starts and put back after.
    const dataDir = onPostgres ? undefined : await freshDataDir();
    const target = onPostgres ? db : await openDatabase({ dataDir: dataDir! });
    await target.dataSource.query(TRY_TRANSFORM_OTHER);
    if (!onPostgres) await target.close();
    try {
      const server = await startTestServer(dataDir ? { DATA_DIR: dataDir } : {}, { startWorker: false });
      try {
        const res = await fetch(`${server.url}/healthz`);
        assert.equal(res.status, 200);
        const body = (await res.json()) as { sqlFunctions: { status: string; functions: Array<{ name: string; state: string }> } };
        assert.equal(body.sqlFunctions.status, 'drift');
        assert.deepEqual(body.sqlFunctions.functions.map((f) => [f.name, f.state]), [['c2r_try_transform', 'differs']]);
      } finally {
        await server.close();
      }
    } finally {
      if (onPostgres) await restore(db);
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

