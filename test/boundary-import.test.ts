import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importBoundaryFiles } from '../src/boundaries/import-files';
import { dropBoundarySets } from './helpers/database';
import { gql, uploadConversion, waitForConversion } from './helpers/graphql';
import { IndependentPip } from './helpers/independent-pip';
import { FIXTURES, onPostgres, startTestServer, type TestServer } from './helpers/server';
import { download } from './helpers/xlsx';

const TL = path.join(FIXTURES, 'tl-scco');
const FILES = ['CTPRVN', 'SIG', 'EMD', 'LI'].map((l) => path.join(TL, `TL_SCCO_${l}.shp`));
const SET = 'tl-scco-fixture';
/** The 시군구 the fixture holds (see test/fixtures/README.md). */
const FIXTURE_SIGUNGU = ['21010', '21310', '23010', '29010', '31350'];
const SINPO = { x: 922357, y: 1941237, srid: 5179 }; // 인천 중구 신포동, 68 m outside its polygon
const WANGJING = { x: 943960, y: 2015400, srid: 5179 }; // 연천군 왕징면, 2.6 km outside every polygon

/**
 * The official TL_SCCO layout through the same import the CLI runs, on the embedded default and on
 * PostgreSQL, then the lookup semantics on it: deepest level (리, else 읍면동) with all ancestors,
 * NEAREST within maxDistanceMeters, NO_MATCH beyond; sets side by side; re-import as a new version.
 */
describe(`TL_SCCO import and lookups (${onPostgres ? 'PostgreSQL' : 'embedded PGlite'})`, () => {
  let server: TestServer;
  let setId: number;
  const lookup = (p: { x: number; y: number; srid?: number }, extra: { boundarySet?: string; maxDistanceMeters?: number } = {}) =>
    server.services.reverseGeocode.lookup({ ...p, boundarySet: SET, ...extra });

  before(async () => {
    server = await startTestServer({ CHUNK_ROWS: '500', DEFAULT_BOUNDARY_SET: 'kostat-2018' }, { startWorker: false });
    await dropBoundarySets(server.db, [SET]); // a shared PostgreSQL may hold one from an aborted run
  });
  after(async () => {
    if (!server) return;
    await server.worker.stop();
    await dropBoundarySets(server.db, [SET]);
    await server.close();
  });

  test('the four files import with no flags: four levels, readable names, parents linked, valid 4326 geometry', async () => {
    const steps: string[] = [];
    const progress: number[] = [];
    const { plan, report, skipped } = await importBoundaryFiles(server.db.dataSource, FILES, {
      set: SET,
      onStep: (s) => steps.push(s),
      onProgress: (e) => progress.push(e.level),
    });
    setId = report.setId;
    assert.deepEqual(plan.files.map((f) => f.recognisedAs), ['TL_SCCO_CTPRVN', 'TL_SCCO_SIG', 'TL_SCCO_EMD', 'TL_SCCO_LI']);
    assert.deepEqual(report.levels.map((l) => [l.level, l.name, l.featureCount]), [[1, '시도', 4], [2, '시군구', 5], [3, '읍면동', 53], [4, '리', 100]]);
    assert.equal(report.orphans, 0);
    assert.equal(skipped.length, 0);
    assert.deepEqual([...new Set(progress)], [1, 2, 3, 4]);
    assert.equal(steps.length, 2);

    const q = (sql: string) => server.db.dataSource.query(sql, [setId]);
    const [names] = await q(`SELECT count(*) FILTER (WHERE name !~ '^[가-힣0-9 ]+$')::int AS bad, count(*)::int AS n FROM boundaries WHERE set_id = $1`);
    assert.deepEqual(names, { bad: 0, n: 162 });
    const [geom] = await q(
      `SELECT count(*) FILTER (WHERE ST_SRID(geom) <> 4326 OR NOT ST_IsValid(geom))::int AS bad,
              min(ST_XMin(geom)) > 124 AND max(ST_XMax(geom)) < 132 AND min(ST_YMin(geom)) > 33 AND max(ST_YMax(geom)) < 39 AS in_korea
         FROM boundaries WHERE set_id = $1`,
    );
    assert.deepEqual(geom, { bad: 0, in_korea: true });
    const [ri] = await q(`SELECT names, codes FROM boundaries WHERE set_id = $1 AND code = '2131011001'`);
    assert.deepEqual(ri, { names: ['부산광역시', '기장군', '기장읍', '기장1리'], codes: ['21', '21310', '2131011', '2131011001'] });
  });

  test('a point in a 면 gets its 리 with 읍면동, 시군구, 시도 above; a point in a 동 gets the 읍면동', async () => {
    const [inRi] = await server.db.dataSource.query(
      `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p FROM boundaries WHERE set_id = $1 AND code = '2131033002') s`,
      [setId],
    );
    const ri = await lookup(inRi);
    assert.equal(ri.result, 'OK');
    assert.equal(ri.level, 4);
    assert.equal(ri.code, '2131033002');
    assert.equal(ri.sido, '부산광역시');
    assert.equal(ri.sigungu, '기장군');
    assert.match(ri.eupmyeondong!, /면$/);
    assert.match(ri.ri!, /리$/);
    assert.equal(ri.address, `부산광역시 기장군 ${ri.eupmyeondong} ${ri.ri}`);
    assert.deepEqual(ri.components.map((c) => [c.levelName, c.code]), [['시도', '21'], ['시군구', '21310'], ['읍면동', '2131033'], ['리', '2131033002']]);

    const dong = await lookup({ x: 129.0326, y: 35.1028 }); // 부산 중구, a 동: no 리 there
    assert.equal(dong.result, 'OK');
    assert.equal(dong.level, 3);
    assert.equal(dong.ri, null);
    assert.equal(dong.sigungu, '중구');
    assert.match(dong.eupmyeondong!, /동$/);
    assert.equal(dong.components.at(-1)!.code, null);
  });

  test('100 m off the coast is NEAREST; the open sea is NO_MATCH', async () => {
    // 100 m east of the easternmost vertex of 부산: outside every polygon, about 100 m from one.
    const [east] = await server.db.dataSource.query(
      `SELECT ST_X(pt) AS x, ST_Y(pt) AS y FROM (SELECT (ST_DumpPoints(geom)).geom AS pt FROM boundaries WHERE set_id = $1 AND code = '21') v
        ORDER BY ST_X(pt) DESC LIMIT 1`,
      [setId],
    );
    const offshore = { x: east.x + 100 / (111_320 * Math.cos((east.y * Math.PI) / 180)), y: east.y };
    const near = await lookup(offshore);
    assert.equal(near.result, 'NEAREST');
    assert.equal(near.sido, '부산광역시');
    assert.ok(near.distanceMeters! > 90 && near.distanceMeters! < 101, `distance ${near.distanceMeters}`);
    assert.equal((await lookup(offshore, { maxDistanceMeters: 50 })).result, 'NO_MATCH');
    const sea = await lookup({ x: 129.5, y: 34.6 });
    assert.deepEqual([sea.result, sea.code, sea.address], ['NO_MATCH', null, null]);
  });

  test('InnerCentroid: 신포동 (68 m out) is NEAREST with its own code; 왕징면 (2.6 km out) is NO_MATCH unless maxDistanceMeters is 3000', async () => {
    const sinpo = await lookup(SINPO);
    assert.deepEqual([sinpo.result, sinpo.code, sinpo.address], ['NEAREST', '2301053', '인천광역시 중구 신포동']);
    assert.ok(sinpo.distanceMeters! > 60 && sinpo.distanceMeters! < 75, `distance ${sinpo.distanceMeters}`);
    assert.equal((await lookup(WANGJING)).result, 'NO_MATCH');
    const far = await lookup(WANGJING, { maxDistanceMeters: 3000 });
    assert.equal(far.result, 'NEAREST');
    assert.equal(far.code!.slice(0, 7), '3135035');
    assert.equal(far.eupmyeondong, '왕징면');
  });

  test('a conversion on this set: every InnerCentroid point of the fixture area gets the 읍면동 an independent point-in-polygon finds, 리 where the 읍/면 has them', async () => {
    const rows = fs.readFileSync(path.join(FIXTURES, 'inner-centroids-5179.tsv'), 'utf8').trim().split(/\r?\n/).map((l) => l.split('\t'));
    const header = rows[0];
    const points = rows.slice(1).filter((r) => FIXTURE_SIGUNGU.includes(r[0].slice(0, 5)));
    assert.ok(points.length >= 20, `${points.length} points`);
    const csv = ['admcd,x,y', ...points.map((r) => `${r[0]},${r[header.indexOf('x')]},${r[header.indexOf('y')]}`)].join('\n');

    server.worker.start();
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'fixture-area.csv', content: csv }, { srid: 5179, boundarySet: SET, outputFormat: 'CSV' });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    assert.equal(done.boundarySet, `${SET}@1`);
    const out = parseCsv((await download(done.downloadUrl)).bytes);
    assert.deepEqual(out[0], ['admcd', 'x', 'y', '시도', '시군구', '읍면동', '리', '주소', '코드', '결과', '비고']);

    const withRi = new Set<string>(
      (await server.db.dataSource.query(`SELECT DISTINCT left(code, 7) AS c FROM boundaries WHERE set_id = $1 AND level = 4`, [setId])).map((r: { c: string }) => r.c),
    );
    const pip = new IndependentPip();
    let compared = 0;
    for (const [i, row] of out.slice(1).entries()) {
      const [admcd, x, y, , , emd, ri, address, code, result] = row;
      assert.equal(admcd, points[i][0], 'rows keep their order');
      if (admcd === '2301053') {
        assert.deepEqual([result, code], ['근접', '2301053']);
        continue;
      }
      const expected = pip.codeAt(Number(x), Number(y), 5179);
      if (!expected) continue;
      compared++;
      assert.equal(result, '정상', `${admcd}: ${row.join(',')}`);
      assert.equal(code.slice(0, 7), expected, `${admcd} (${address})`);
      // The deepest level that contains the point: a 리 inside a 읍/면 that has them, the 읍면동 otherwise.
      assert.equal(code.length, withRi.has(expected) ? 10 : 7, `${admcd}: ${code}`);
      assert.equal(ri === '', !withRi.has(expected));
      assert.ok(emd && address.split(' ').length === (ri ? 4 : 3), address);
    }
    assert.ok(compared >= points.length - 3, `${compared} of ${points.length} compared`);
    assert.ok(out.some((r) => r[6] !== ''), 'some points resolve to a 리');
    assert.ok(out.some((r) => r[6] === '' && r[9] === '정상'), 'some points resolve to a 동');
  });

  test('sets side by side: the request chooses, else the configured default', async () => {
    const [p] = await server.db.dataSource.query(
      `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p FROM boundaries WHERE set_id = $1 AND code = '2131033002') s`,
      [setId],
    );
    const official = await lookup(p);
    const census = await lookup(p, { boundarySet: 'kostat-2018' });
    const byDefault = await server.services.reverseGeocode.lookup(p);
    assert.deepEqual([official.boundarySet, official.level, official.code], [`${SET}@1`, 4, '2131033002']);
    assert.deepEqual([census.boundarySet.replace(/@\d+$/, ''), census.level, census.code, census.ri], ['kostat-2018', 3, '2131033', null]);
    assert.equal(byDefault.boundarySet, census.boundarySet, 'DEFAULT_BOUNDARY_SET=kostat-2018 applies when a request names no set');

    const res = await gql(server.graphqlUrl, `{ boundarySets { name validFrom isDefault levels { name featureCount } } }`);
    const sets = res.data!.boundarySets as { name: string; validFrom: string | null; isDefault: boolean; levels: { name: string; featureCount: number }[] }[];
    assert.deepEqual(sets.find((s) => s.name === SET)?.levels.map((l) => l.featureCount), [4, 5, 53, 100]);
    // DEFAULT_BOUNDARY_SET=kostat-2018 names the 2018 version of kostat alone.
    assert.equal(sets.find((s) => s.name === 'kostat' && s.validFrom === '2018-01-01')?.isDefault, true);
    assert.equal(sets.find((s) => s.name === 'kostat' && s.validFrom === '2013-01-01')?.isDefault, false);

    const unknown = await uploadConversion(server.graphqlUrl, { name: 'p.csv', content: 'x,y\n129,35\n' }, { boundarySet: 'no-such-set' });
    assert.equal(unknown.body.errors?.[0].extensions?.code, 'UNKNOWN_BOUNDARY_SET');
  });

  test('re-import makes a new version current; a conversion pinned to the old version finishes on it', async () => {
    await server.worker.stop();
    const [p] = await server.db.dataSource.query(
      `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p FROM boundaries WHERE set_id = $1 AND code = '2131033002') s`,
      [setId],
    );
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'pinned.csv', content: `x,y\n${p.x},${p.y}\n` }, { boundarySet: SET, outputFormat: 'CSV' });
    const id = body.data!.createConversion.id;
    // The worker pins the set version when it first claims a job; a job that was running when the
    // re-import switched versions resumes with that pin. Pin it the same way here.
    await server.db.dataSource.query(`UPDATE conversions SET boundary_set_id = $2 WHERE id = $1`, [id, setId]);

    // Version 2 without the 리 file: lookups by name now see three levels.
    const { report } = await importBoundaryFiles(server.db.dataSource, FILES.slice(0, 3), { set: SET });
    assert.equal(report.version, 2);
    const versions = await gql(server.graphqlUrl, `{ boundarySets(includeOldVersions: true) { name version isCurrent } }`);
    assert.deepEqual(
      (versions.data!.boundarySets as { name: string; version: number; isCurrent: boolean }[]).filter((s) => s.name === SET).map((s) => [s.version, s.isCurrent]),
      [[2, true], [1, false]],
    );
    assert.deepEqual([(await lookup(p)).level, (await lookup(p)).boundarySet], [3, `${SET}@2`]);

    server.worker.start();
    const pinned = await waitForConversion(server.graphqlUrl, id);
    assert.equal(pinned.status, 'COMPLETED', pinned.error);
    assert.equal(pinned.boundarySet, `${SET}@1`);
    const old = parseCsv((await download(pinned.downloadUrl)).bytes);
    assert.deepEqual(old[0].slice(2, 7), ['시도', '시군구', '읍면동', '리', '주소']);
    assert.equal(old[1][7], '2131033002');

    const fresh = await uploadConversion(server.graphqlUrl, { name: 'fresh.csv', content: `x,y\n${p.x},${p.y}\n` }, { boundarySet: SET, outputFormat: 'CSV' });
    const after2 = await waitForConversion(server.graphqlUrl, fresh.body.data!.createConversion.id);
    assert.equal(after2.boundarySet, `${SET}@2`);
    const now = parseCsv((await download(after2.downloadUrl)).bytes);
    assert.deepEqual(now[0].slice(2), ['시도', '시군구', '읍면동', '주소', '코드', '결과', '비고']);
    assert.equal(now[1][6], '2131033');
  });
});

/** The service's CSV output (UTF-8 with BOM, CRLF); test values contain no quotes or commas. */
function parseCsv(bytes: Buffer): string[][] {
  return bytes.toString('utf8').replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(','));
}
