import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { uploadConversion, waitForConversion } from './helpers/graphql';
import { startTestServer, type TestServer } from './helpers/server';
import {
  WORKBOOK_DATE,
  bomTsv,
  centralBeltCsv,
  coverPageWorkbook,
  producerSampleCsv,
  swappedCsv,
  unifiedCsCsv,
  type UserFile,
} from './helpers/user-files';
import { download, readWorkbook, type SheetData } from './helpers/xlsx';

/**
 * Files as users have them, uploaded over HTTP with no options at all: every one must convert
 * with the right addresses, the right sheets and every row, or fail early saying what to set.
 */
describe('files as users have them, uploaded with no options', () => {
  let server: TestServer;
  const results = new Map<string, Promise<Record<string, any>>>();

  const convert = (file: UserFile, options: Record<string, unknown> | null = null): Promise<Record<string, any>> => {
    const key = `${file.name} ${JSON.stringify(options)}`;
    if (!results.has(key)) {
      results.set(
        key,
        (async () => {
          const { body } = await uploadConversion(server.graphqlUrl, { name: file.name, content: file.content }, options);
          assert.equal(body.errors, undefined, JSON.stringify(body.errors));
          return waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
        })(),
      );
    }
    return results.get(key)!;
  };

  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  /** Every data row present, in order, with the expected code or INVALID; returns the output sheets. */
  async function checkConverted(file: UserFile, done: Record<string, any>): Promise<SheetData[]> {
    assert.equal(done.status, 'COMPLETED', done.error);
    const expected = file.converted.rows;
    const invalid = expected.filter((e) => 'invalid' in e).length;
    assert.equal(done.totalRows, expected.length);
    assert.equal(done.processedRows, expected.length);
    assert.equal(done.invalidRows, invalid);
    assert.equal(done.matchedRows, expected.length - invalid);

    const sheets = await readWorkbook((await download(done.downloadUrl)).bytes);
    assert.deepEqual(sheets.map((s) => s.name), file.sheets);
    const sheet = sheets.find((s) => s.name === file.converted.sheet)!;
    const header = sheet.rows[file.converted.headerRow] as string[];
    // The appended columns come last; an appended name the input already has (the producer's
    // 주소, a workbook's own 코드) is made distinct, so no two columns share a name.
    assert.equal(new Set(header.filter(Boolean)).size, header.filter(Boolean).length, `duplicate names in ${header.join(', ')}`);
    const code = header.includes('코드(행정구역)') ? header.indexOf('코드(행정구역)') : header.lastIndexOf('코드');
    const result = header.lastIndexOf('결과');
    const data = sheet.rows.slice(file.converted.headerRow + 1);
    assert.equal(data.length, expected.length, 'every row is present');
    data.forEach((row, i) => {
      const want = expected[i];
      if ('invalid' in want) assert.equal(row[result], '좌표오류', `row ${i + 1}`);
      else {
        assert.equal(row[result], '정상', `row ${i + 1}`);
        assert.equal(String(row[code]), want.code, `row ${i + 1}`);
      }
    });
    assert.equal(sheet.frozenRows, file.converted.headerRow + 1);
    return sheets;
  }

  test('the old producer sample: CP949, CRLF, spaces after commas, x headed 주소, y without header', async () => {
    const file = producerSampleCsv();
    const done = await convert(file);
    const [sheet] = await checkConverted(file, done);
    assert.equal(done.detectedSrid, 4326);
    assert.deepEqual(
      done.detectedColumns.map((c: any) => [c.sheet, c.xColumn, c.yColumn, c.foundBy, c.srid, c.headerRow]),
      [['운행기록', '주소 (E)', 'F', 'VALUES', 4326, 1]],
    );
    assert.ok(done.notes.some((n: string) => /값으로 찾았습니다/.test(n)), done.notes.join('\n'));
    assert.deepEqual(Array.from(sheet.rows[0].slice(0, 8), (h) => h ?? ''), ['회사코드', '차량번호', '차량ID', '날짜', '주소', '', '속도', '발생시각']);
    const first = sheet.rows[1];
    assert.equal(first[0], '007', 'leading zeros kept');
    assert.equal(first[1], ' 울산123바12300', 'spaces kept outside the coordinate columns');
    assert.equal(typeof first[4], 'number', 'coordinates trimmed and typed');
    assert.equal(typeof first[5], 'number');
    assert.equal(first[7], ' 22-APR-24 10:43:00');
    const note = sheet.rows[0].lastIndexOf('비고');
    assert.match(String(sheet.rows[6][note]), /x 좌표 없음, y 좌표 없음/);
    assert.match(String(sheet.rows[11][note]), /y 좌표 "NaN": 숫자가 아님|x 좌표 "NaN": 숫자가 아님/);
  });

  test('a workbook: cover page, data under a title row on sheet 2, a third sheet of other data', async () => {
    const file = await coverPageWorkbook();
    const done = await convert(file);
    const sheets = await checkConverted(file, done);
    assert.deepEqual(
      done.detectedColumns.map((c: any) => [c.sheet, c.xColumn, c.yColumn, c.foundBy, c.headerRow, c.dataRows]),
      [
        ['표지', null, null, null, 3, 0],
        ['운행기록', '경도 (D)', '위도 (E)', 'HEADER', 3, 12],
        ['차량목록', null, null, null, 1, 0],
      ],
    );
    assert.ok(done.notes.some((n: string) => /"표지"에 좌표 열이 없어 그대로 복사했습니다/.test(n)), done.notes.join('\n'));
    assert.ok(done.notes.some((n: string) => /"차량목록"에 좌표 열이 없어/.test(n)));

    const [cover, data, vehicles] = sheets;
    // Sheets without coordinates come out as they went in.
    assert.deepEqual(cover.rows, [['차량 위치 보고서'], [], ['작성일', WORKBOOK_DATE], ['작성자', '홍길동'], ['자료는 두 번째 시트에 있습니다.']]);
    assert.deepEqual(vehicles.rows, [['차량번호', '차종', '연식'], ['울산123바12321', '화물', 2019], ['울산123바12322', '승용', 2021]]);
    // The title row stays above the header; cell types survive: text codes, dates, numbers, formula values.
    assert.deepEqual(data.rows[0], ['2024년 4월 차량 위치']);
    assert.deepEqual(data.rows[2].slice(0, 7), ['번호', '코드', '일시', '경도', '위도', '속도', '속도x2']);
    const row = data.rows[3];
    assert.deepEqual(row.slice(0, 2), [1, '001']);
    assert.ok(row[2] instanceof Date && row[2].getTime() === WORKBOOK_DATE.getTime(), `date kept: ${row[2]}`);
    assert.equal(typeof row[3], 'number');
    assert.equal(row[6], 100, 'a formula comes out as its value');
    assert.equal(data.rows[6][4], 'N/A');

    // Readable: bold frozen header with an autofilter, columns wide enough for the addresses.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await download(done.downloadUrl)).bytes as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('운행기록')!;
    assert.equal(ws.getRow(3).getCell(1).font?.bold, true);
    assert.match(String(ws.autoFilter ?? ''), /^A3:/);
    const address = (data.rows[2] as string[]).indexOf('주소') + 1;
    assert.ok((ws.getColumn(address).width ?? 0) >= 20, `주소 column width ${ws.getColumn(address).width}`);
  });

  test('a TSV in UTF-8 with BOM, latitude before longitude', async () => {
    const file = bomTsv();
    const done = await convert(file);
    await checkConverted(file, done);
    assert.deepEqual(done.detectedColumns.map((c: any) => [c.xColumn, c.yColumn, c.swapped]), [['경도 (C)', '위도 (B)', false]]);
  });

  test('EPSG:5179 under X좌표/Y좌표 is recognised by its values', async () => {
    const file = unifiedCsCsv();
    const done = await convert(file);
    const [sheet] = await checkConverted(file, done);
    assert.equal(done.detectedSrid, 5179);
    assert.deepEqual(done.detectedColumns.map((c: any) => [c.xColumn, c.yColumn, c.srid]), [['X좌표 (B)', 'Y좌표 (C)', 5179]]);
    assert.ok(done.notes.some((n: string) => /EPSG:5179/.test(n)));
    assert.match(String(sheet.rows[1][0]), /^서울특별시 종로구 사직동, "본점"$/);
    assert.equal(sheet.rows[1][sheet.rows[0].indexOf('주소')], '서울특별시 종로구 사직동');
  });

  test('lon/lat headers over swapped values are noticed and read the right way round', async () => {
    const file = swappedCsv();
    const done = await convert(file);
    await checkConverted(file, done);
    assert.deepEqual(done.detectedColumns.map((c: any) => [c.xColumn, c.yColumn, c.swapped]), [['lat (C)', 'lon (B)', true]]);
    assert.ok(done.notes.some((n: string) => /서로 바꿔 읽었습니다/.test(n)), done.notes.join('\n'));
  });

  test('coordinates that fit several Korean TM belts fail in analysis, naming the candidates and the srid option', async () => {
    const file = centralBeltCsv();
    const failed = await convert(file);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.processedRows, 0);
    assert.match(failed.error, /EPSG:5186 \(Korea 2000 \/ Central Belt 2010\), EPSG:5174 \(Korean 1985 \/ Modified Central Belt\)/);
    assert.match(failed.error, /set the srid option/);
    // Told which one, the same file converts.
    const done = await convert(file, { srid: 5186 });
    await checkConverted(file, done);
    assert.equal(done.detectedSrid, 5186);
  });

  test('a table without a header, in (lat, lon) order, converts with a header row added', async () => {
    const file = swappedCsv();
    const headerless: UserFile = {
      ...file,
      name: 'headerless.csv',
      content: Buffer.from(file.content.toString('utf8').split('\n').slice(1).map((l) => l.split(',').slice(1).join(',')).join('\n')),
      sheets: ['headerless'],
      converted: { ...file.converted, sheet: 'headerless' },
    };
    const done = await convert(headerless);
    const [sheet] = await checkConverted(headerless, done);
    assert.deepEqual(done.detectedColumns.map((c: any) => [c.xColumn, c.yColumn, c.headerRow, c.foundBy, c.swapped]), [['B', 'A', 0, 'VALUES', true]]);
    assert.deepEqual(Array.from(sheet.rows[0], (h) => h ?? '').slice(0, 3), ['', '', '시도']);
  });

  test('options.sheets converts the named sheet; the others are copied unchanged', async () => {
    const file = await coverPageWorkbook();
    const done = await convert(file, { sheets: ['운행기록'] });
    await checkConverted(file, done);
    assert.ok(done.notes.some((n: string) => /"차량목록"는 options.sheets에 없어/.test(n)), done.notes.join('\n'));
  });

  test('CSV output of a CP949 input: UTF-8 with BOM, Korean text intact', async () => {
    const file = producerSampleCsv();
    const done = await convert(file, { outputFormat: 'CSV' });
    assert.equal(done.status, 'COMPLETED', done.error);
    const bytes = (await download(done.downloadUrl)).bytes;
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).split('\r\n');
    assert.equal(lines[0], '회사코드,차량번호,차량ID,날짜,주소,,속도,발생시각,시도,시군구,읍면동,주소(행정구역),코드,결과,비고');
    assert.equal(lines.filter((l) => l !== '').length, 1 + file.converted.rows.length);
    assert.match(lines[1], /^007, 울산123바12300,/);
  });
});
