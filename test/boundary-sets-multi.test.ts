import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importBoundaryFiles } from '../src/boundaries/import-files';
import { dropBoundarySets } from './helpers/database';
import { gql, uploadConversion, waitForConversion } from './helpers/graphql';
import { IndependentPip } from './helpers/independent-pip';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';
import { download, readWorkbook } from './helpers/xlsx';

const TL = path.join(FIXTURES, 'tl-scco');
const FILES = ['CTPRVN', 'SIG', 'EMD', 'LI'].map((l) => path.join(TL, `TL_SCCO_${l}.shp`));
const SET = 'tl-scco-multi';

/** Points in boxes around the fixture's areas (부산 중구, 기장군, 인천 중구, 세종, 연천) and across Korea, from a fixed seed. */
function points(): { x: number; y: number }[] {
  let seed = 17;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const boxes: [number, number, number, number][] = [
    [129.01, 35.09, 129.05, 35.12],
    [129.1, 35.2, 129.3, 35.4],
    [126.5, 37.4, 126.65, 37.5],
    [127.15, 36.45, 127.35, 36.65],
    [126.9, 38.0, 127.15, 38.15],
    [126.2, 34.3, 129.5, 38.4],
  ];
  return boxes.flatMap(([x0, y0, x1, y1]) => Array.from({ length: 60 }, () => ({ x: +(x0 + (x1 - x0) * random()).toFixed(6), y: +(y0 + (y1 - y0) * random()).toFixed(6) })));
}

/**
 * Two boundary sets in one pass: the census set keeps the plain column names, the TL_SCCO set
 * (imported with the label 법정동) adds 읍면동(법정동), 리(법정동), 코드(법정동) …; every row's
 * codes agree with an independent point-in-polygon over each set.
 */
describe('several boundary sets in one conversion', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ CHUNK_ROWS: '100', INTERIOR_GRID: 'off' });
    await dropBoundarySets(server.db, [SET]);
    await importBoundaryFiles(server.db.dataSource, FILES, { set: SET, label: '법정동' });
  });
  after(async () => {
    if (!server) return;
    await server.worker.stop();
    await dropBoundarySets(server.db, [SET]);
    await server.close();
  });

  test('boundarySets shows the label, and the dated census set its versions', async () => {
    const res = await gql(server.graphqlUrl, `{ boundarySets { name label validFrom versions { validFrom isCurrent } } }`);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const sets = res.data!.boundarySets as any[];
    assert.equal(sets.find((s) => s.name === SET)?.label, '법정동');
    const census = sets.filter((s) => s.name === 'kostat');
    assert.deepEqual(census.map((s) => s.validFrom).sort(), ['2013-01-01', '2018-01-01']);
    assert.deepEqual(census[0].versions.map((v: any) => v.validFrom), ['2013-01-01', '2018-01-01']);
  });

  test('both column groups, right for every row against an independent point-in-polygon over each set', async () => {
    const pts = points();
    const csv = ['lon,lat', ...pts.map((p) => `${p.x},${p.y}`)].join('\n');
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'two-sets.csv', content: csv }, { boundarySets: ['kostat-2018', SET], maxDistanceMeters: 0 });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    const [sheet] = await readWorkbook((await download(done.downloadUrl)).bytes);
    const header = sheet.rows[0] as string[];
    assert.deepEqual(header, [
      'lon', 'lat', '시도', '시군구', '읍면동', '주소', '코드', '결과', '비고',
      '시도(법정동)', '시군구(법정동)', '읍면동(법정동)', '리(법정동)', '주소(법정동)', '코드(법정동)', '결과(법정동)',
    ]);
    const census = new IndependentPip(2018);
    const legal = await IndependentPip.fromTlScco(TL);
    let inLegal = 0;
    pts.forEach((p, i) => {
      const row = sheet.rows[i + 1];
      assert.equal(row[6] ?? null, census.codeAt(p.x, p.y), `census code of row ${i + 2} (${p.x}, ${p.y})`);
      const expected = legal.codeAt(p.x, p.y);
      assert.equal(row[14] ?? null, expected, `법정동 code of row ${i + 2} (${p.x}, ${p.y})`);
      if (expected) inLegal++;
    });
    assert.ok(inLegal > 100, `only ${inLegal} points fell in the TL_SCCO fixture`);
  });
});
