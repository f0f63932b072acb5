import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import JSZip from 'jszip';
import type { Writable } from 'node:stream';
import { XlsxThreadWriter } from '../src/writing/xlsx-thread-writer';
import { XlsxOutputWriter } from '../src/writing/xlsx-writer';
import { readWorkbook } from './helpers/xlsx';

/**
 * The workbook writer on its own: what it writes is read back with exceljs, cell by cell. Each
 * test runs with the writer in this thread and in a worker thread (XLSX_WRITER_THREAD=on).
 */
const WRITERS: [string, new (out: Writable, maxRowsPerSheet?: number, csvText?: boolean) => XlsxOutputWriter | XlsxThreadWriter][] = [
  ['', XlsxOutputWriter],
  [' (writer thread)', XlsxThreadWriter],
];
for (const [suffix, Writer] of WRITERS) {
  test(`rows past the per-sheet limit continue on a new sheet with the same header; types survive${suffix}`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-xlsx-'));
    const final = path.join(dir, 'out.xlsx');
    // Excel's limit is 1,048,576 rows; a limit of 4 exercises the same path on a few rows.
    const out = fs.createWriteStream(final);
    const writer = new Writer(out, 4);
    writer.startSheet({ name: '단속기록', leadingRows: [['2024년 단속']], header: ['id', 'x', 'y'], appendedHeader: ['주소', '결과'], sample: [] });
    const when = new Date(Date.UTC(2024, 3, 22, 10, 43));
    for (let i = 1; i <= 6; i++) writer.writeRow([`00${i}`, 126.97, i === 1 ? when : 37.57], [`서울 & <${i}>`, 'OK']);
    await writer.endSheet();
    await writer.finish();
    await finished(out);

    const sheets = await readWorkbook(fs.readFileSync(final));
    assert.deepEqual(sheets.map((s) => s.name), ['단속기록', '단속기록 (2)', '단속기록 (3)']);
    const [first, second, third] = sheets;
    assert.deepEqual(first.rows[0], ['2024년 단속']);
    assert.deepEqual(first.rows[1], ['id', 'x', 'y', '주소', '결과']);
    assert.deepEqual(first.rows[2], ['001', 126.97, when, '서울 & <1>', 'OK']);
    assert.equal(first.rows.length, 4, 'title, header and two rows fill the first sheet');
    assert.deepEqual(second.rows[0], ['id', 'x', 'y', '주소', '결과']);
    assert.deepEqual(second.rows.slice(1).map((r) => r[0]), ['003', '004', '005']);
    assert.equal(second.frozenRows, 1);
    assert.deepEqual(third.rows, [['id', 'x', 'y', '주소', '결과'], ['006', 126.97, 37.57, '서울 & <6>', 'OK']]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test(`a workbook of many blocks carries the right CRC-32 for every entry (checked on reading)${suffix}`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-xlsx-'));
    const final = path.join(dir, 'out.xlsx');
    const out = fs.createWriteStream(final);
    const writer = new Writer(out);
    writer.startSheet({ name: '기록', leadingRows: [], header: ['id', 'x', 'y', '메모'], appendedHeader: ['주소'], sample: [] });
    // ~3 MB of sheet XML: a dozen blocks, with multi-byte text and text that needs escaping.
    for (let i = 1; i <= 20_000; i++) writer.writeRow([i, 127 + i / 1e5, 37.5, i % 7 === 0 ? ` <a&b> "${i}" ` : `메모 ${i}`], [`서울특별시 종로구 ${i}`]);
    await writer.endSheet();
    await writer.finish();
    await finished(out);

    const zip = await JSZip.loadAsync(fs.readFileSync(final), { checkCRC32: true });
    const names = Object.keys(zip.files).sort();
    assert.ok(names.includes('xl/worksheets/sheet1.xml'));
    // Each entry is inflated and its CRC-32 compared with the one stored in the zip.
    for (const name of names) await zip.file(name)!.async('uint8array');
    const [sheet] = await readWorkbook(fs.readFileSync(final));
    assert.equal(sheet.rows.length, 20_001);
    assert.deepEqual(sheet.rows[7], [7, 127.00007, 37.5, ' <a&b> "7" ', '서울특별시 종로구 7']);
    assert.deepEqual(sheet.rows[20_000], [20_000, 127.2, 37.5, '메모 20000', '서울특별시 종로구 20000']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test(`CSV text cells: plain decimal numbers become numbers, codes and IDs stay text, empty cells are left out${suffix}`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-xlsx-'));
    const final = path.join(dir, 'out.xlsx');
    const out = fs.createWriteStream(final);
    const writer = new Writer(out, undefined, true);
    writer.startSheet({ name: 'csv', leadingRows: [['제목', '2024']], header: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], appendedHeader: ['코드'], sample: [] });
    writer.writeRow(['007', '127.50', '-0', '', '1e5', '12345678901234567', '-37.125', '0.000123'], ['1101053']);
    await writer.endSheet();
    await writer.finish();
    await finished(out);

    const [sheet] = await readWorkbook(fs.readFileSync(final));
    assert.deepEqual(sheet.rows[0], ['제목', 2024], 'rows above the header are typed like data rows');
    assert.deepEqual(sheet.rows[1], ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '코드']);
    // The appended code is text whatever it looks like.
    assert.deepEqual(Array.from(sheet.rows[2], (v) => v ?? null), ['007', 127.5, 0, null, '1e5', '12345678901234567', -37.125, 0.000123, '1101053']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
