import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { gql, uploadPreview } from './helpers/graphql';
import { startTestServer, type TestServer } from './helpers/server';
import { WORKBOOK_DATE, centralBeltCsv, coverPageWorkbook, producerSampleCsv } from './helpers/user-files';

/** previewFile: the analysis and the first rows' lookups, with no conversion created and no file left behind. */
describe('previewFile', () => {
  let server: TestServer;
  // A previewed upload is a temporary file of the instance that received it, never in storage.
  const uploadsDir = () => path.join(server.dataDir, 'tmp');
  const conversionCount = async () => (await gql(server.graphqlUrl, `{ conversions(limit: 100) { id } }`)).data!.conversions.length;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test('a workbook over HTTP: sheets, header, columns, CRS and the first rows with their addresses', async () => {
    const file = await coverPageWorkbook();
    const before = await conversionCount();
    const res = await uploadPreview(server.graphqlUrl, { name: file.name, content: file.content });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const preview = res.data!.previewFile;
    assert.equal(preview.format, 'XLSX');
    assert.equal(preview.detectedSrid, 4326);
    assert.match(preview.boundarySet, /^kostat-2018@\d+$/);
    assert.deepEqual(preview.sheets.map((s: any) => [s.name, s.converted, s.rows.length]), [['표지', false, 0], ['운행기록', true, 10], ['차량목록', false, 0]]);
    const data = preview.sheets[1];
    assert.deepEqual([data.headerRow, data.xColumn, data.yColumn, data.foundBy, data.srid, data.dataRows], [3, '경도 (D)', '위도 (E)', 'HEADER', 4326, 12]);
    assert.deepEqual(data.header, ['번호', '코드', '일시', '경도', '위도', '속도', '속도x2']);
    const expected = file.converted.rows;
    data.rows.forEach((row: any, i: number) => {
      assert.equal(row.rowNumber, 4 + i);
      const want = expected[i];
      if ('invalid' in want) {
        assert.equal(row.result, 'INVALID');
        assert.match(row.note, /"N\/A": 숫자가 아님/);
      } else {
        assert.equal(row.result, 'OK');
        assert.equal(row.code, want.code);
        assert.ok(row.address.split(' ').length >= 2, row.address);
      }
    });
    assert.deepEqual(data.rows[0].cells.slice(0, 3), ['1', '001', WORKBOOK_DATE.toISOString()]);
    assert.equal(await conversionCount(), before, 'no conversion was created');
    assert.deepEqual(fs.readdirSync(uploadsDir()), [], 'the upload was deleted');
  });

  test('ambiguous coordinates: a coded error naming the candidates; nothing left behind', async () => {
    const file = centralBeltCsv();
    const res = await uploadPreview(server.graphqlUrl, { name: file.name, content: file.content });
    assert.equal(res.errors?.[0].extensions?.code, 'AMBIGUOUS_SRID');
    assert.match(res.errors![0].message, /EPSG:5186.*EPSG:5174.*srid/);
    assert.deepEqual(fs.readdirSync(uploadsDir()), []);
    // With the srid the same file previews, and its points land where they should.
    const ok = await uploadPreview(server.graphqlUrl, { name: file.name, content: file.content }, { srid: 5186 }, 3);
    const rows = ok.data!.previewFile.sheets[0].rows;
    assert.deepEqual(rows.map((r: any) => r.code), file.converted.rows.slice(0, 3).map((e) => ('code' in e ? e.code : null)));
  });

  test('PreviewService directly: the producer sample in CP949', async () => {
    const file = producerSampleCsv();
    const preview = await server.services.preview.preview({ fileName: file.name, stream: Readable.from([file.content]) }, null, 6);
    assert.deepEqual([preview.format, preview.encoding, preview.delimiter], ['CSV', 'cp949', ',']);
    const [sheet] = preview.sheets;
    assert.deepEqual([sheet.xColumn, sheet.yColumn, sheet.foundBy], ['주소 (E)', 'F', 'VALUES']);
    assert.deepEqual(sheet.rows.map((r) => r.result), ['OK', 'OK', 'OK', 'OK', 'OK', 'INVALID']);
    assert.equal(sheet.rows[0].cells[1], ' 울산123바12300');
    assert.equal(sheet.rows[0].x, Number(String(sheet.rows[0].cells[4]).trim()));
    assert.deepEqual(fs.readdirSync(uploadsDir()), []);
  });

  test('bad arguments are coded errors', async () => {
    const file = producerSampleCsv();
    const tooMany = await uploadPreview(server.graphqlUrl, { name: file.name, content: file.content }, null, 1000);
    assert.equal(tooMany.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    const noCoordinates = await uploadPreview(server.graphqlUrl, { name: 'names.csv', content: 'name,city\n김철수,서울\n' });
    assert.equal(noCoordinates.errors?.[0].extensions?.code, 'NO_COORDINATES');
    assert.deepEqual(fs.readdirSync(uploadsDir()), []);
  });
});
