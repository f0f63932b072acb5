import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader as Pbf } from 'pbf';
import { gql, uploadConversion, waitForConversion } from './helpers/graphql';
import { startTestServer, type TestServer } from './helpers/server';
import { download, readWorkbook } from './helpers/xlsx';

/** 오창읍, in 청원군 until the 2014 merger, then 청주시 청원구; and 부천시청, in 원미구 until 2016. */
const OCHANG = { x: 127.4297, y: 36.7168 };
const BUCHEON = { x: 126.766, y: 37.5035 };

/** The tile of zoom z holding a lon/lat point. */
function tileOf(lon: number, lat: number, z: number): { x: number; y: number } {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return { x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n) };
}

/**
 * The bundled census set `kostat` holds its 2013 and 2018 versions: a file dated per row
 * converts each row against the version valid on its date, found by detecting the date column.
 */
describe('dated boundary versions', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ CHUNK_ROWS: '100', INTERIOR_GRID: 'off' });
  });
  after(() => server?.close());

  async function convert(csv: string, options: Record<string, unknown> | null = null) {
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'dated.csv', content: csv }, options);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    const [sheet] = await readWorkbook((await download(done.downloadUrl)).bytes);
    const header = sheet.rows[0] as string[];
    const col = (name: string) => {
      const i = header.indexOf(name);
      assert.ok(i >= 0, `no column ${name} in ${header.join(', ')}`);
      return sheet.rows.slice(1).map((r) => r[i] ?? null);
    };
    return { done, header, col };
  }

  test('rows dated 2013 and 2018 use the version of their own date; 경계기준 says which', async () => {
    const csv = [
      '발생시각,경도,위도',
      `2013-05-02 08:10:00,${OCHANG.x},${OCHANG.y}`,
      `2013-05-02 09:00:00,${BUCHEON.x},${BUCHEON.y}`,
      `2018-07-01T10:00:00+09:00,${OCHANG.x},${OCHANG.y}`,
      `2018-07-01T11:00:00+09:00,${BUCHEON.x},${BUCHEON.y}`,
      `,${OCHANG.x},${OCHANG.y}`,
    ].join('\n');
    const { done, col } = await convert(csv);
    assert.ok(done.notes.some((n: string) => n.includes('발생시각') && n.includes('날짜 열')), done.notes.join(' | '));
    const sigungu = col('시군구');
    assert.equal(sigungu[0], '청원군');
    assert.match(String(sigungu[1]), /^부천시 (원미구|소사구|오정구)$/);
    assert.equal(sigungu[2], '청주시 청원구');
    assert.equal(sigungu[3], '부천시');
    assert.equal(sigungu[4], '청주시 청원구', 'a row without a date uses the newest version');
    assert.deepEqual(col('경계기준'), ['kostat 2013-01-01', 'kostat 2013-01-01', 'kostat 2018-01-01', 'kostat 2018-01-01', 'kostat 2018-01-01']);
    assert.deepEqual(col('결과'), ['정상', '정상', '정상', '정상', '정상']);

    // The counts (and the page's map) follow the version each row used: the 2013 rows count for
    // 청원군 and 부천시 원미구 of kostat-2013, never for a 2018 polygon, and every matched row counts.
    const counts = await gql(
      server.graphqlUrl,
      `query ($id: ID!) { conversion(id: $id) { boundarySet sido: regionCounts(level: 1) { code name rows boundarySet } sigungu: regionCounts(level: 2) { code name rows boundarySet } } }`,
      { id: done.id },
    );
    assert.equal(counts.errors, undefined, JSON.stringify(counts.errors));
    type Count = { code: string; name: string; rows: number; boundarySet: string };
    const { boundarySet, sido, sigungu: sigunguCounts } = counts.data!.conversion as { boundarySet: string; sido: Count[]; sigungu: Count[] };
    assert.match(boundarySet, /^kostat-2018@/);
    const byName = (rows: Count[]) => Object.fromEntries(rows.map((r) => [r.name, { rows: r.rows, boundarySet: r.boundarySet, code: r.code }]));
    assert.deepEqual(byName(sido), {
      충청북도: { rows: 3, boundarySet, code: '33' },
      경기도: { rows: 2, boundarySet, code: '31' },
    });
    const sgg = byName(sigunguCounts);
    assert.deepEqual(sgg['충청북도 청주시 청원구'], { rows: 2, boundarySet, code: sgg['충청북도 청주시 청원구']?.code });
    assert.deepEqual(sgg['경기도 부천시'], { rows: 1, boundarySet, code: '31050' });
    assert.equal(sgg['충청북도 청원군']?.code, '33310');
    assert.equal(sgg['충청북도 청원군'].rows, 1);
    assert.match(sgg['충청북도 청원군'].boundarySet, /^kostat-2013@/);
    const old부천 = sigunguCounts.find((r) => /^경기도 부천시 (원미구|소사구|오정구)$/.test(r.name));
    assert.equal(old부천?.boundarySet, sgg['충청북도 청원군'].boundarySet);
    assert.equal(old부천?.rows, 1);
    assert.equal(sigunguCounts.reduce((n, r) => n + r.rows, 0), done.matchedRows);

    // The map draws such a region from that version's tiles: /tiles/kostat-2013 has 청원군 where the 2013 row is.
    const z = 9;
    const { x, y } = tileOf(OCHANG.x, OCHANG.y, z);
    const res = await fetch(`${server.url}/tiles/${old부천!.boundarySet.split('@')[0]}/${z}/${x}/${y}.pbf`);
    assert.equal(res.status, 200);
    const level2 = new VectorTile(new Pbf(Buffer.from(await res.arrayBuffer()))).layers.level2;
    const codes = Array.from({ length: level2.length }, (_, i) => String(level2.feature(i).properties.code));
    assert.ok(codes.includes('33310'), codes.join(','));
    assert.ok(!codes.includes(sgg['충청북도 청주시 청원구'].code), 'the 2013 tiles have no 청원구');
  });

  test('asOf picks the version for every row, and reverseGeocode(asOf) agrees', async () => {
    const csv = ['경도,위도', `${OCHANG.x},${OCHANG.y}`, `${BUCHEON.x},${BUCHEON.y}`].join('\n');
    for (const asOf of ['2013-06-01', '2019-01-01']) {
      const { col } = await convert(csv, { asOf });
      const addresses = col('주소');
      for (const [i, p] of [OCHANG, BUCHEON].entries()) {
        const res = await gql(server.graphqlUrl, `query ($x: Float!, $y: Float!, $asOf: Date) { reverseGeocode(x: $x, y: $y, asOf: $asOf) { address boundarySet } }`, { ...p, asOf });
        assert.equal(res.errors, undefined, JSON.stringify(res.errors));
        assert.equal(res.data!.reverseGeocode.address, addresses[i], `${asOf} row ${i}`);
        assert.match(res.data!.reverseGeocode.boundarySet, asOf.startsWith('2013') ? /^kostat-2013@/ : /^kostat-2018@/);
      }
      assert.equal(col('시군구')[0], asOf.startsWith('2013') ? '청원군' : '청주시 청원구');
      assert.deepEqual(col('경계기준'), asOf.startsWith('2013') ? ['kostat 2013-01-01', 'kostat 2013-01-01'] : ['kostat 2018-01-01', 'kostat 2018-01-01']);
    }
  });

  test('kostat-2018 still names the 2018 version alone; without dates there is no 경계기준 column', async () => {
    const csv = ['날짜,경도,위도', `2013-05-02,${OCHANG.x},${OCHANG.y}`].join('\n');
    const { header, col } = await convert(csv, { boundarySet: 'kostat-2018' });
    assert.equal(col('시군구')[0], '청주시 청원구');
    assert.ok(!header.includes('경계기준'));
  });
});
