import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../src/db/database';
import { FIXTURES, ROOT, freshDataDir, onPostgres } from './helpers/server';

const TL = path.join(FIXTURES, 'tl-scco');
const SET = 'tl-scco-cli';

/** `npm run boundaries -- …` as a user runs it: a separate process on the configured database. */
function cli(args: string[], env: Record<string, string>) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/boundaries.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe(`boundaries CLI (${onPostgres ? 'PostgreSQL' : 'embedded PGlite'})`, () => {
  let env: Record<string, string>;
  let dataDir: string;

  before(async () => {
    dataDir = await freshDataDir();
    env = { DATA_DIR: dataDir };
  });
  after(async () => {
    if (onPostgres) {
      const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir });
      await db.dataSource.query(`DELETE FROM boundary_sets WHERE name = $1`, [SET]);
      await db.close();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('import with no flags prints a report, progress goes to stderr; list shows the set', () => {
    const files = ['CTPRVN', 'SIG', 'EMD', 'LI'].map((l) => path.join(TL, `TL_SCCO_${l}.shp`));
    const run = cli(['import', ...files, '--set', SET], env);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Imported ${SET} version \\d+ \\(set id \\d+\\) in [\\d.]+ s:`));
    for (const line of ['1 시도: 4 features', '2 시군구: 5 features', '3 읍면동: 53 features', '4 리: 100 features', 'orphans (no parent found by code prefix): 0']) {
      assert.ok(run.stdout.includes(line), `${line} in\n${run.stdout}`);
    }
    assert.match(run.stderr, /4 리 {2}TL_SCCO_LI\.shp {2}\[TL_SCCO_LI\] LI_CD\/LI_KOR_NM, EPSG:5179 from \.prj .*text cp949 \(no \.cpg: default\)/);
    assert.match(run.stderr, /리: 100 \/ 100 features loaded/);
    assert.match(run.stderr, /interior grid ready in [\d.]+ s/, 'the import builds the set’s grid');

    const list = cli(['list'], env);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${SET}@\\d+ \\(id \\d+, current[^)]*\\) {2}시도 4 / 시군구 5 / 읍면동 53 / 리 100`));
  });

  test('bad input: a one-line error naming the problem, exit code 1, before the database starts', () => {
    const missing = cli(['import', path.join(TL, 'nope.shp')], env);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^error: .*nope\.shp: file not found\n$/);
    const unknown = cli(['import', path.join(ROOT, 'package.json')], env);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /^error: .*package\.json is neither GeoJSON nor TopoJSON/);
    const badFlag = cli(['import', path.join(TL, 'TL_SCCO_SIG.shp'), '--srid', 'abc'], env);
    assert.equal(badFlag.status, 1);
    assert.match(badFlag.stderr, /an EPSG code is a positive integer/);
  });
});
