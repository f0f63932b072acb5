import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import * as XLSX from 'xlsx';
import { XlsxSource } from '../src/reading/xlsx-source';

/**
 * Workbooks as different programs write them, and the same workbook with its parts in every
 * order: every sheet must come back, under its own name, with every row.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-writers-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const SHEET1 = [['id', 'x', 'y'], ['a', 126.97, 37.57], ['b', 127.0, 37.5], ['c', 129.07, 35.17], ['d', 126.7, 37.45], ['e', 127.38, 36.35]];
const SHEET2 = [['id', 'x', 'y'], ['f', 126.53, 33.5], ['g', 128.6, 35.87], ['h', 126.85, 35.16]];

async function readAll(file: string): Promise<{ name: string; rows: unknown[][] }[]> {
  const out: { name: string; rows: unknown[][] }[] = [];
  for await (const sheet of new XlsxSource(file).sheets()) {
    const rows: unknown[][] = [];
    for await (const row of sheet.rows) rows.push(row);
    out.push({ name: sheet.name, rows });
  }
  return out;
}

function save(name: string, bytes: Buffer | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

async function exceljsWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('첫째').addRows(SHEET1);
  wb.addWorksheet('둘째').addRows(SHEET2);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function reorder(bytes: Buffer, order: (names: string[]) => string[]): Promise<Buffer> {
  const zip = await JSZip.loadAsync(bytes);
  const names = Object.keys(zip.files).filter((n) => !zip.files[n].dir);
  const out = new JSZip();
  for (const name of order(names)) out.file(name, await zip.file(name)!.async('uint8array'));
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

async function editPart(bytes: Buffer, part: string, edit: (xml: string) => string): Promise<Buffer> {
  const zip = await JSZip.loadAsync(bytes);
  zip.file(part, edit(await zip.file(part)!.async('string')));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

const expected = [
  { name: '첫째', rows: SHEET1 },
  { name: '둘째', rows: SHEET2 },
];

test('exceljs workbook, and the same with a worksheet as the last zip entry', async () => {
  const bytes = await exceljsWorkbook();
  assert.deepEqual(await readAll(save('exceljs.xlsx', bytes)), expected);
  const sheetLast = await reorder(bytes, (names) => [...names.filter((n) => n !== 'xl/worksheets/sheet2.xml'), 'xl/worksheets/sheet2.xml']);
  for (let i = 0; i < 5; i++) assert.deepEqual(await readAll(save(`sheet-last-${i}.xlsx`, sheetLast)), expected);
});

test('SheetJS workbook', async () => {
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(SHEET1), '첫째');
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(SHEET2), '둘째');
  const bytes = XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
  for (let i = 0; i < 5; i++) assert.deepEqual(await readAll(save(`sheetjs-${i}.xlsx`, bytes)), expected);
  // SheetJS with shared strings, as Excel stores text.
  const withSst = XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', bookSST: true }) as Buffer;
  assert.deepEqual(await readAll(save('sheetjs-sst.xlsx', withSst)), expected);
});

test("Excel's part order: worksheets before the shared strings and styles", async () => {
  const excelOrder = ['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml', 'xl/theme/theme1.xml', 'xl/styles.xml', 'xl/sharedStrings.xml'];
  const bytes = await reorder(await exceljsWorkbook(), (names) => [...excelOrder.filter((n) => names.includes(n)), ...names.filter((n) => !excelOrder.includes(n))]);
  assert.deepEqual(await readAll(save('excel-order.xlsx', bytes)), expected);
});

test('orders of the workbook, relationships, shared strings, styles and both sheets', async () => {
  // Every 15th of the 720 orders here (48, all parts in every position); scripts/robustness.ts reads all 720.
  const bytes = await exceljsWorkbook();
  const key = ['xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/styles.xml', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml'];
  let orders = 0;
  let n = 0;
  for (const perm of permutations(key)) {
    if (n++ % 15 !== 0) continue;
    const file = save('perm.xlsx', await reorder(bytes, (names) => [...names.filter((n) => !key.includes(n)), ...perm]));
    assert.deepEqual(await readAll(file), expected, perm.join(' '));
    orders++;
  }
  assert.equal(orders, 48);
});

test('sheets are found by relationship id, not by part name or position', async () => {
  // The first sheet in the workbook lives in sheet2.xml and the second in sheet1.xml.
  let bytes = await exceljsWorkbook();
  bytes = await editPart(bytes, 'xl/_rels/workbook.xml.rels', (xml) =>
    xml.replace('worksheets/sheet1.xml', 'worksheets/TMP.xml').replace('worksheets/sheet2.xml', 'worksheets/sheet1.xml').replace('worksheets/TMP.xml', 'worksheets/sheet2.xml'),
  );
  const zip = await JSZip.loadAsync(bytes);
  const [one, two] = await Promise.all(['xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml'].map((p) => zip.file(p)!.async('uint8array')));
  zip.file('xl/worksheets/sheet1.xml', two);
  zip.file('xl/worksheets/sheet2.xml', one);
  assert.deepEqual(await readAll(save('swapped.xlsx', await zip.generateAsync({ type: 'nodebuffer' }))), expected);
});

test('duplicate and invalid sheet names become valid, distinct names with a note', async () => {
  let bytes = await exceljsWorkbook();
  bytes = await editPart(bytes, 'xl/workbook.xml', (xml) => xml.replace('name="첫째"', 'name="기록"').replace('name="둘째"', 'name="기록"'));
  let source = new XlsxSource(save('dup.xlsx', bytes));
  assert.deepEqual(await source.sheetNames(), ['기록', '기록 (2)']);
  const second: unknown[][] = [];
  for await (const row of source.rows('기록 (2)')) second.push(row);
  assert.deepEqual(second, SHEET2);
  assert.match((await source.notes()).join(), /"기록 \(2\)"/);

  bytes = await editPart(bytes, 'xl/workbook.xml', (xml) => xml.replace('name="기록"', 'name="a/b:[c]*?"'));
  source = new XlsxSource(save('invalid.xlsx', bytes));
  assert.deepEqual(await source.sheetNames(), ['a_b__c___', '기록']);
});

test('a row numbered past Excel\'s last row is read without the rows in between', async () => {
  const bytes = await editPart(await exceljsWorkbook(), 'xl/worksheets/sheet2.xml', (xml) =>
    xml.replace('</sheetData>', '<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>far</t></is></c></row></sheetData>'),
  );
  const sheets = await readAll(save('sparse.xlsx', bytes));
  assert.deepEqual(sheets[1].rows, [...SHEET2, ['far']]);
});

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i], ...rest];
  }
}

test('LibreOffice workbook (worksheets stored before the relationships and shared strings)', async () => {
  assert.deepEqual(await readAll(path.join(import.meta.dirname, 'fixtures', 'libreoffice-two-sheets.xlsx')), expected);
});
