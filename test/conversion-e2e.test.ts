import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { followProgress, gql, uploadConversion, waitForConversion } from './helpers/graphql';
import { IndependentPip } from './helpers/independent-pip';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';
import { download, readWorkbook } from './helpers/xlsx';

const CENTROIDS = path.join(FIXTURES, 'inner-centroids-5179.tsv');
const APPENDED = ['시도', '시군구', '읍면동', '주소', '코드', '결과', '비고'];

/**
 * The whole path over real HTTP and WebSocket: upload → worker → PostGIS → XLSX → download,
 * with the 1,229 real 행정동 interior points (EPSG:5179) of vuski/admdongkor.
 */
describe('conversion end to end', () => {
  let server: TestServer;

  before(async () => {
    // Small chunks, each reported (no throttling), so a 1,229-row file reports progress several
    // times; the worker is started by the test once it has subscribed, so the events cannot race
    // past the subscriber.
    server = await startTestServer({ CHUNK_ROWS: '200', PROGRESS_INTERVAL_MS: '0' }, { startWorker: false });
  });
  after(() => server?.close());

  test('healthz answers 200 once migrated with a boundary set', async () => {
    // Right after start the database may be busy past /healthz's deadline (the warm-up cuts the
    // set's pieces): then it still answers 200 at once, saying the database did not answer in
    // time, and a later probe reports the state.
    type Health = { status: string; sqlFunctions: unknown; migrated?: boolean; boundarySetLoaded?: boolean; databaseError?: string };
    let body: Health;
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${server.url}/healthz`);
      assert.equal(res.status, 200);
      body = (await res.json()) as Health;
      assert.deepEqual(body.sqlFunctions, { status: 'ok' });
      if (body.migrated !== undefined || attempt === 60) break;
      assert.match(body.databaseError ?? '', /did not answer within/);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.deepEqual([body.status, body.migrated, body.boundarySetLoaded], ['ok', true, true]);
  });

  test('EPSG:5179 centroids: progress, download, rows in order, codes agree with an independent point-in-polygon', async () => {
    const { status, body } = await uploadConversion(server.graphqlUrl, CENTROIDS, { srid: 5179 });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.errors, undefined);
    const created = body.data!.createConversion;
    assert.equal(created.status, 'QUEUED');
    assert.equal(created.downloadUrl, null);

    const eventsPromise = followProgress(server.wsUrl, created.id, () => server.worker.start());
    const events = await eventsPromise;
    const last = events.at(-1)!;
    assert.equal(last.status, 'COMPLETED', last.error);
    assert.ok(events.length >= 3, `expected at least two events before the terminal one, got ${events.length}`);
    const processed = events.map((e) => e.processedRows);
    assert.deepEqual(processed, [...processed].sort((a, b) => a - b), 'progress never goes backwards');
    assert.ok(events.some((e) => e.status === 'RUNNING' && e.processedRows > 0 && e.processedRows < 1229), 'an intermediate chunk was reported');

    assert.equal(last.totalRows, 1229);
    assert.equal(last.processedRows, 1229);
    assert.equal(last.matchedRows + last.unmatchedRows + last.invalidRows, 1229);
    assert.equal(last.progress, 1);
    assert.equal(last.detectedSrid, 5179);
    assert.deepEqual(last.detectedColumns.map((c: any) => [c.xColumn, c.yColumn]), [['x (H)', 'y (I)']]);
    assert.match(last.downloadUrl, new RegExp(`^${server.url}/downloads/${created.id}\\?expires=\\d+&signature=[\\w-]+$`));

    const file = await download(last.downloadUrl);
    assert.match(file.contentType ?? '', /spreadsheetml/);
    assert.match(file.disposition ?? '', /filename\*=UTF-8''inner-centroids-5179_%EC%A3%BC%EC%86%8C\.xlsx/);
    const [sheet] = await readWorkbook(file.bytes);
    assert.equal(sheet.name, 'inner-centroids-5179');
    assert.equal(sheet.frozenRows, 1);

    const input = fs.readFileSync(CENTROIDS, 'utf8').trim().split(/\r?\n/).map((l) => l.split('\t'));
    const header = input[0];
    assert.deepEqual(sheet.rows[0], [...header, ...APPENDED]);
    const data = sheet.rows.slice(1);
    assert.equal(data.length, 1229);

    const col = (name: string) => sheet.rows[0].indexOf(name);
    const pip = new IndependentPip();
    let agree = 0;
    for (let i = 0; i < data.length; i++) {
      const row = data[i];
      const source = input[i + 1];
      // Same row, same order, cell types kept: codes/coordinates come back as numbers, names as text.
      assert.equal(String(row[col('admcd')]), source[0], `row ${i + 1} is out of order`);
      assert.equal(row[col('admnm')], source[1]);
      assert.equal(typeof row[col('x')], 'number');
      const expected = pip.codeAt(Number(source[7]), Number(source[8]), 5179);
      const result = row[col('결과')];
      if (expected === null) assert.notEqual(result, '정상', `row ${i + 1} lies in no polygon`);
      if ((row[col('코드')] ?? null) === expected) agree++;
      if (result === '정상') {
        assert.equal(row[col('주소')], [row[col('시도')], row[col('시군구')], row[col('읍면동')]].join(' '));
      }
    }
    assert.ok(agree / 1229 >= 0.995, `codes agree on ${agree} of 1229 rows`);
    // The dataset's own codes match the 2018-12 polygons for 1,134 points (boundaries moved in between).
    const ownCode = data.filter((r) => String(r[col('코드')]) === String(r[col('admcd')])).length;
    assert.ok(ownCode >= 1130 && ownCode <= 1140, `own code for ${ownCode} rows`);

    // 신포동 lies 68 m outside its polygon (NEAREST, own code); 왕징면 2.6 km outside everything.
    const byName = (n: string) => data.find((r) => r[col('admnm')] === n)!;
    assert.equal(byName('인천광역시 중구 신포동')[col('결과')], '근접');
    const sinpo = byName('인천광역시 중구 신포동');
    assert.equal(String(sinpo[col('코드')]), String(sinpo[col('admcd')]));
    assert.match(String(sinpo[col('비고')]), /^경계 밖 \d+ m$/);
    assert.equal(byName('경기도 연천군 왕징면')[col('결과')], '해당없음');
  });

  test('conversions lists newest first; conversion(id) of an unknown id is null', async () => {
    const list = await gql(server.graphqlUrl, `{ conversions(limit: 5) { id createdAt status } }`);
    const times = list.data!.conversions.map((c: any) => Date.parse(c.createdAt));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    const missing = await gql(server.graphqlUrl, `{ conversion(id: "00000000-0000-0000-0000-000000000000") { id } }`);
    assert.equal(missing.data!.conversion, null);
  });

  test('reverseGeocode: a point in 사직동, one at sea, and bad input', async () => {
    const q = `query ($x: Float!, $y: Float!, $srid: Int) { reverseGeocode(x: $x, y: $y, srid: $srid) { result address code sido sigungu eupmyeondong ri level components { level levelName name code } } }`;
    const inCity = await gql(server.graphqlUrl, q, { x: 953277, y: 1952800, srid: 5179 });
    assert.deepEqual(
      { ...inCity.data!.reverseGeocode, components: undefined },
      { result: 'OK', address: '서울특별시 종로구 사직동', code: '1101053', sido: '서울특별시', sigungu: '종로구', eupmyeondong: '사직동', ri: null, level: 3, components: undefined },
    );
    assert.deepEqual(inCity.data!.reverseGeocode.components.map((c: any) => c.levelName), ['시도', '시군구', '읍면동']);
    const atSea = await gql(server.graphqlUrl, q, { x: 128.5, y: 34.0 });
    assert.equal(atSea.data!.reverseGeocode.result, 'NO_MATCH');
    assert.equal(atSea.data!.reverseGeocode.address, null);
    const badSrid = await gql(server.graphqlUrl, q, { x: 1, y: 2, srid: 999999 });
    assert.equal(badSrid.errors?.[0].extensions?.code, 'UNKNOWN_SRID');
    const notLonLat = await gql(server.graphqlUrl, q, { x: 953277, y: 1952800 });
    assert.equal(notLonLat.errors?.[0].extensions?.code, 'INVALID_COORDINATES');
  });

  test('boundarySets lists the bundled KOSTAT 2018 set as the 2018 version of kostat', async () => {
    const res = await gql(server.graphqlUrl, `{ boundarySets { name version validFrom isCurrent isDefault source featureCount levels { level name featureCount repairedCount } } }`);
    const set = res.data!.boundarySets.find((s: any) => s.name === 'kostat' && s.validFrom === '2018-01-01');
    assert.ok(set, JSON.stringify(res));
    assert.equal(set.isCurrent, true);
    assert.deepEqual(
      set.levels.map((l: any) => [l.level, l.name, l.featureCount]),
      [[1, '시도', 17], [2, '시군구', 250], [3, '읍면동', 3504]],
    );
    assert.equal(set.levels[2].repairedCount, 135);
  });

  test('cancelling a queued conversion; cancelling it again is an error; its download is refused', async () => {
    await server.worker.stop();
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'points.csv', content: 'x,y\n126.97,37.57\n' });
    const id = body.data!.createConversion.id;
    const cancel = `mutation ($id: ID!) { cancelConversion(id: $id) { id status phase finishedAt } }`;
    const first = await gql(server.graphqlUrl, cancel, { id });
    assert.equal(first.data!.cancelConversion.status, 'CANCELLED');
    const again = await gql(server.graphqlUrl, cancel, { id });
    assert.equal(again.errors?.[0].extensions?.code, 'ALREADY_FINISHED');
    const unknown = await gql(server.graphqlUrl, cancel, { id: '00000000-0000-0000-0000-000000000000' });
    assert.equal(unknown.errors?.[0].extensions?.code, 'NOT_FOUND');
    assert.equal((await fetch(`${server.url}/downloads/${id}`)).status, 409);
    assert.equal((await fetch(`${server.url}/downloads/00000000-0000-0000-0000-000000000000`)).status, 404);
    server.worker.start();
  });

  test('bad uploads get coded errors and the server keeps serving', async () => {
    const xls = await uploadConversion(server.graphqlUrl, { name: 'old.xls', content: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0, 0, 0]) });
    assert.equal(xls.body.errors?.[0].extensions?.code, 'UNSUPPORTED_FILE');
    assert.match(xls.body.errors![0].message, /\.xls/);
    const empty = await uploadConversion(server.graphqlUrl, { name: 'empty.csv', content: '' });
    assert.equal(empty.body.errors?.[0].extensions?.code, 'EMPTY_FILE');
    const badSrid = await uploadConversion(server.graphqlUrl, { name: 'p.csv', content: 'x,y\n1,2\n' }, { srid: 123456 });
    assert.equal(badSrid.body.errors?.[0].extensions?.code, 'UNKNOWN_SRID');
    const badOption = await uploadConversion(server.graphqlUrl, { name: 'p.csv', content: 'x,y\n1,2\n' }, { xColumn: 'x' });
    assert.equal(badOption.body.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.match(badOption.body.errors![0].message, /xColumn and yColumn/);
    // Without the preflight header a multipart request is refused before its file is read.
    const form = new FormData();
    form.append('operations', '{}');
    const noPreflight = await fetch(server.graphqlUrl, { method: 'POST', body: form });
    assert.equal(noPreflight.status, 400);
    assert.match(((await noPreflight.json()) as { errors: { message: string }[] }).errors[0].message, /apollo-require-preflight/);

    // A file without coordinates is accepted, then FAILED with a message naming the problem.
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'names.csv', content: 'name,city\n김철수,서울\n' });
    const failed = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(failed.status, 'FAILED');
    assert.match(failed.error, /No coordinate columns found.*xColumn and yColumn/);

    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
  });

  test('rows with unusable coordinates are kept and marked INVALID with the reason', async () => {
    const csv = 'id,lon,lat\n1,126.97,37.57\n2,,37.5\n3,abc,37.5\n4,500,37.5\n5,129.3,35.0\n';
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'mixed.csv', content: csv });
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    assert.deepEqual([done.matchedRows, done.unmatchedRows, done.invalidRows], [1, 1, 3]);
    const [sheet] = await readWorkbook((await download(done.downloadUrl)).bytes);
    const result = sheet.rows[0].indexOf('결과');
    const note = sheet.rows[0].indexOf('비고');
    assert.deepEqual(sheet.rows.slice(1).map((r) => [r[0], r[result]]), [[1, '정상'], [2, '좌표오류'], [3, '좌표오류'], [4, '좌표오류'], [5, '해당없음']]);
    assert.equal(sheet.rows[2][note], 'x 좌표 없음');
    assert.match(String(sheet.rows[3][note]), /x 좌표 "abc": 숫자가 아님/);
    assert.match(String(sheet.rows[4][note]), /경도 500: ±180 범위 밖/);
  });

  test('CSV output: UTF-8 with BOM, formula-like text neutralised', async () => {
    const csv = 'name,x,y\n=HYPERLINK("evil"),126.97,37.57\n';
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'out.csv', content: csv }, { outputFormat: 'CSV' });
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    const file = await download(done.downloadUrl);
    assert.deepEqual([...file.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = file.bytes.toString('utf8').slice(1).trim().split('\r\n');
    assert.equal(lines[0], 'name,x,y,시도,시군구,읍면동,주소,코드,결과,비고');
    assert.match(lines[1], /^"'=HYPERLINK\(""evil""\)",126\.97,37\.57,서울특별시,종로구,사직동,서울특별시 종로구 사직동,1101053,정상,$/);
  });
});
