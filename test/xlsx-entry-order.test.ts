import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { XlsxSource } from '../src/reading/xlsx-source';

/**
 * Zip writers do not agree on the order of a workbook's parts (exceljs itself puts
 * xl/workbook.xml last, and varies the rest). Whatever the order, the reader must name every
 * sheet and read its rows with their types.
 */
async function reorderedCopy(wb: ExcelJS.Workbook, rank: (part: string) => number): Promise<string> {
  const original = await JSZip.loadAsync(Buffer.from(await wb.xlsx.writeBuffer()));
  const names = Object.keys(original.files).filter((n) => !original.files[n].dir);
  const reordered = new JSZip();
  for (const name of [...names].sort((a, b) => rank(a) - rank(b))) reordered.file(name, await original.file(name)!.async('uint8array'));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-order-')), 'reordered.xlsx');
  fs.writeFileSync(file, await reordered.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
  return file;
}

test('sheets are read with their names whatever the order of the parts in the zip', async () => {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('표지').addRow(['차량 단속 기록']);
  const data = wb.addWorksheet('데이터');
  data.addRow(['id', '경도', '위도']);
  data.addRow(['a-1', 126.97, 37.57]);
  // Shared strings and the relationships first, then the sheets, xl/workbook.xml last: the order
  // in which exceljs's streaming reader used to fail ("reading 'sheets'") or lose the names.
  const file = await reorderedCopy(wb, (n) =>
    n === 'xl/sharedStrings.xml' ? 0 : n.endsWith('.rels') || n === '[Content_Types].xml' ? -1 : n === 'xl/workbook.xml' ? 9 : n.startsWith('xl/worksheets/') ? 5 : 1,
  );

  const source = new XlsxSource(file);
  assert.deepEqual(await source.sheetNames(), ['표지', '데이터']);
  const rows: unknown[][] = [];
  for await (const row of source.rows('데이터')) rows.push(row);
  assert.deepEqual(rows, [['id', '경도', '위도'], ['a-1', 126.97, 37.57]]);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});

test('dates stay dates when the sheets come before xl/styles.xml or xl/workbook.xml', async () => {
  const when = new Date(Date.UTC(2024, 3, 22, 10, 43));
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('기록');
  sheet.addRow(['일시', '경도', '위도']);
  sheet.addRow([when, 126.97, 37.57]);
  sheet.getColumn(1).numFmt = 'yyyy-mm-dd hh:mm';
  // Relationships, workbook and shared strings, then the sheet, the styles last: exceljs's reader
  // parses such a sheet at once, before it has seen the number formats. And the styles first,
  // the workbook (with its date system) last.
  const orders = [
    (n: string) => (n === 'xl/styles.xml' ? 9 : n.startsWith('xl/worksheets/') ? 5 : 0),
    (n: string) => (n === 'xl/workbook.xml' ? 9 : n.startsWith('xl/worksheets/') ? 5 : 0),
  ];
  for (const rank of orders) {
    const file = await reorderedCopy(wb, rank);
    const rows: unknown[][] = [];
    for await (const row of new XlsxSource(file).rows('기록')) rows.push(row);
    assert.deepEqual(rows, [['일시', '경도', '위도'], [when, 126.97, 37.57]]);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});
