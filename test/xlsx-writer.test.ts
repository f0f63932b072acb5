import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import { XlsxOutputWriter } from '../src/writing/xlsx-writer';
import { readWorkbook } from './helpers/xlsx';

/** The workbook writer on its own: what it writes is read back with exceljs, cell by cell. */
test('rows past the per-sheet limit continue on a new sheet with the same header; types survive', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-xlsx-'));
  const final = path.join(dir, 'out.xlsx');
  // Excel's limit is 1,048,576 rows; a limit of 4 exercises the same path on a few rows.
  const out = fs.createWriteStream(final);
  const writer = new XlsxOutputWriter(out, 4);
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
