import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { gql, uploadConversion, waitForConversion } from './helpers/graphql';
import { IndependentPip } from './helpers/independent-pip';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';
import { download, readWorkbook } from './helpers/xlsx';

/**
 * A file as an office worker has it: its own 주소 column (text), 행정동 interior points in
 * EPSG:5179, points far out at sea and rows whose coordinates are empty or not numbers. Chunks
 * of 100 rows, so counts and problem rows come from several committed chunks.
 */
function officeFile(): { csv: string; points: { x: number; y: number }[]; sea: number[]; invalid: number[] } {
  const lines = fs.readFileSync(path.join(FIXTURES, 'inner-centroids-5179.tsv'), 'utf8').trim().split(/\r?\n/).map((l) => l.split('\t'));
  const [header, ...rows] = lines;
  const ix = header.indexOf('x');
  const iy = header.indexOf('y');
  const out = ['번호,주소,x,y'];
  const points: { x: number; y: number }[] = [];
  const sea: number[] = [];
  const invalid: number[] = [];
  // Spreadsheet row numbers: the header is row 1, data row k (0-based) is row k + 2.
  const add = (line: string) => out.push(line);
  rows.slice(0, 400).forEach((r, k) => {
    const rowNumber = out.length + 1;
    if (k % 97 === 13) {
      // Yellow Sea (about 124.1°E 35.3°N) and the East Sea beyond 울릉도 (about 132°E 36.2°N).
      const [x, y] = k % 2 === 0 ? [700000 + k, 1700000] : [1400000 + k, 1800000];
      sea.push(rowNumber);
      add(`${k + 1},바다 ${k},${x},${y}`);
    } else if (k % 89 === 7) {
      invalid.push(rowNumber);
      add(k % 2 === 0 ? `${k + 1},빈칸,,${r[iy]}` : `${k + 1},글자,abc,${r[iy]}`);
    } else {
      points.push({ x: Number(r[ix]), y: Number(r[iy]) });
      add(`${k + 1},서울시 어딘가 ${k},${r[ix]},${r[iy]}`);
    }
  });
  return { csv: out.join('\n') + '\n', points, sea, invalid };
}

describe('for the office worker: Korean output, counts by region, problem rows', () => {
  let server: TestServer;
  const file = officeFile();

  before(async () => {
    server = await startTestServer({ CHUNK_ROWS: '100' });
  });
  after(() => server?.close());

  async function convert(options: Record<string, unknown>): Promise<Record<string, any>> {
    const { body } = await uploadConversion(server.graphqlUrl, { name: '운행기록.csv', content: file.csv }, { srid: 5179, ...options });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    return done;
  }

  test('XLSX: no duplicate header, 결과 and 비고 in Korean, the rename in the notes', async () => {
    const done = await convert({});
    const [sheet] = await readWorkbook((await download(done.downloadUrl)).bytes);
    const header = sheet.rows[0] as string[];
    assert.deepEqual(header, ['번호', '주소', 'x', 'y', '시도', '시군구', '읍면동', '주소(행정구역)', '코드', '결과', '비고']);
    assert.equal(new Set(header).size, header.length);
    assert.ok(done.notes.some((n: string) => n.includes('주소(행정구역)')), done.notes.join('\n'));

    const col = (name: string) => header.indexOf(name);
    const results = new Set(sheet.rows.slice(1).map((r) => r[col('결과')]));
    for (const word of ['정상', '해당없음', '좌표오류']) assert.ok(results.has(word), `결과 has ${word}: ${[...results].join(', ')}`);
    for (const r of sheet.rows.slice(1)) assert.ok(['정상', '근접', '해당없음', '좌표오류'].includes(String(r[col('결과')])), String(r[col('결과')]));
    assert.equal(sheet.rows[file.invalid[0] - 1][col('비고')], file.invalid[0] % 2 === 0 ? 'x 좌표 없음' : 'x 좌표 "abc": 숫자가 아님');
    const notes = sheet.rows.slice(1).map((r) => r[col('비고')]).filter(Boolean) as string[];
    assert.ok(notes.length >= file.invalid.length);
    for (const n of notes) assert.match(n, /좌표 없음|숫자가 아님|^경계 밖 \d+ m$/);
    // The input's own 주소 is kept as it was.
    assert.equal(sheet.rows[1][col('주소')], '서울시 어딘가 0');
  });

  test('CSV output has no duplicate header either; outputLanguage EN gives the English words', async () => {
    const done = await convert({ outputFormat: 'CSV', outputLanguage: 'EN' });
    const rows: string[][] = parse((await download(done.downloadUrl)).bytes.toString('utf8').replace(/^\uFEFF/, ''));
    assert.deepEqual(rows[0], ['번호', '주소', 'x', 'y', '시도', '시군구', '읍면동', '주소(행정구역)', '코드', '결과', '비고']);
    const result = rows[0].indexOf('결과');
    assert.ok(rows.slice(1).every((r) => ['OK', 'NEAREST', 'NO_MATCH', 'INVALID'].includes(r[result])));
    const invalidRow = rows[file.invalid[0] - 1];
    assert.equal(invalidRow[result], 'INVALID');
    assert.match(invalidRow[rows[0].indexOf('비고')], /^x (empty|"abc" is not a number)$/);
  });

  test('regionCounts(level: 1) adds up to matchedRows and agrees with an independent point-in-polygon per 시도', async () => {
    const done = await convert({});
    const { data, errors } = await gql(
      server.graphqlUrl,
      `query ($id: ID!) { conversion(id: $id) { matchedRows nearestRows
         sido: regionCounts(level: 1) { code name rows } sigungu: regionCounts(level: 2) { code name rows }
         nearest: problemRows(first: 1000) { result x y reason } } }`,
      { id: done.id },
    );
    assert.equal(errors, undefined, JSON.stringify(errors));
    const c = data!.conversion;
    const [sheet] = await readWorkbook((await download(done.downloadUrl)).bytes);
    const sum = (list: { rows: number }[]) => list.reduce((n, r) => n + r.rows, 0);
    assert.equal(sum(c.sido), c.matchedRows);
    assert.equal(sum(c.sigungu), c.matchedRows, 'every matched point of this file lies in (or near) a 읍면동');
    assert.ok(c.sido.every((r: any) => /^\d{2}$/.test(r.code)), JSON.stringify(c.sido));
    assert.ok(c.sigungu.every((r: any) => /^\d{5}$/.test(r.code) && r.name.split(' ').length === 2), JSON.stringify(c.sigungu.slice(0, 3)));
    const seoul = c.sido.find((r: any) => r.code === '11');
    assert.equal(seoul.name, '서울특별시');

    // Independently: the 읍면동 of each usable point by turf over the TopoJSON, its first two
    // digits the 시도. NEAREST rows lie outside every polygon, so the service's counts hold them
    // besides: they are counted by the code the service gave them.
    const pip = new IndependentPip();
    const expected = new Map<string, number>();
    for (const p of file.points) {
      const code = pip.codeAt(p.x, p.y, 5179);
      if (code) expected.set(code.slice(0, 2), (expected.get(code.slice(0, 2)) ?? 0) + 1);
    }
    const header = sheet.rows[0] as string[];
    for (const r of sheet.rows.slice(1)) {
      if (r[header.indexOf('결과')] !== '근접') continue;
      const sido = String(r[header.indexOf('코드')]).slice(0, 2);
      expected.set(sido, (expected.get(sido) ?? 0) + 1);
    }
    assert.deepEqual(
      Object.fromEntries(c.sido.map((r: any) => [r.code, r.rows]).sort()),
      Object.fromEntries([...expected.entries()].sort()),
    );
  });

  test('problemRows: every unusable row at its spreadsheet row number, every sea point with its coordinates, in file order', async () => {
    const done = await convert({});
    const page = async (first: number, offset: number) => {
      const { data, errors } = await gql(
        server.graphqlUrl,
        `query ($id: ID!, $first: Int, $offset: Int) { conversion(id: $id) { problemRows(first: $first, offset: $offset) { sheet rowNumber result x y lon lat reason } } }`,
        { id: done.id, first, offset },
      );
      assert.equal(errors, undefined, JSON.stringify(errors));
      return data!.conversion.problemRows as Record<string, any>[];
    };
    const all = await page(1000, 0);
    assert.equal(all.length, done.nearestRows + done.unmatchedRows + done.invalidRows);
    const numbers = all.map((r) => r.rowNumber);
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'file order');
    assert.ok(all.every((r) => r.sheet === '운행기록'));

    const byRow = new Map(all.map((r) => [r.rowNumber, r]));
    const lines = file.csv.trim().split('\n');
    for (const n of file.invalid) {
      const r = byRow.get(n);
      assert.ok(r, `row ${n} is listed`);
      assert.equal(r.result, 'INVALID');
      assert.equal(r.x, null);
      assert.equal(r.y, Number(lines[n - 1].split(',')[3]));
      assert.match(r.reason, /^x 좌표 (없음|"abc": 숫자가 아님)$/);
    }
    for (const n of file.sea) {
      const r = byRow.get(n);
      assert.ok(r, `sea row ${n} is listed`);
      assert.equal(r.result, 'NO_MATCH');
      const [, , x, y] = lines[n - 1].split(',');
      assert.deepEqual([r.x, r.y], [Number(x), Number(y)]);
      assert.ok(r.lon > 123 && r.lon < 133 && r.lat > 34 && r.lat < 37, `${r.lon}, ${r.lat}`);
      assert.equal(r.reason, null);
    }
    for (const r of all.filter((p) => p.result === 'NEAREST')) assert.match(r.reason, /^경계 밖 \d+ m$/);

    // Pages across chunk boundaries give the same rows.
    const paged = [...(await page(3, 0)), ...(await page(3, 3)), ...(await page(1000, 6))];
    assert.deepEqual(paged, all);
    assert.deepEqual(await page(5, all.length), []);
  });

  test('a header-only file is refused before a conversion is created: NO_DATA_ROWS, in Korean', async () => {
    const before = (await gql(server.graphqlUrl, '{ conversions(limit: 100) { id } }')).data!.conversions.length;
    const { body } = await uploadConversion(server.graphqlUrl, { name: '빈파일.csv', content: '번호,주소,x,y\n' });
    assert.equal(body.errors?.[0].extensions?.code, 'NO_DATA_ROWS');
    assert.match(body.errors![0].message, /데이터 행이 없습니다/);
    const after = (await gql(server.graphqlUrl, '{ conversions(limit: 100) { id } }')).data!.conversions.length;
    assert.equal(after, before);
    // One data row without a header is data, not a header.
    const single = await uploadConversion(server.graphqlUrl, { name: 'one.csv', content: '126.97,37.57\n' });
    assert.equal(single.body.errors, undefined, JSON.stringify(single.body.errors));
    assert.equal((await waitForConversion(server.graphqlUrl, single.body.data!.createConversion.id)).status, 'COMPLETED');
  });
});
