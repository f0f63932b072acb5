import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { UserInputError } from '../src/errors';
import { openTableSource } from '../src/reading/open-source';
import { readingWorkers } from '../src/reading/worker-source';
import type { Row } from '../src/reading/table-source';

/**
 * Hostile files read through the worker-backed reader (the path the analysis, the conversion and
 * the preview take): each is refused with a coded Korean message that says where, without
 * internal text, paths or stacks, and the process goes on reading other files.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-isolation-'));

async function readAll(file: string, format: 'CSV' | 'XLSX'): Promise<{ sheets: { name: string; rows: Row[] }[] }> {
  const source = await openTableSource(file, path.basename(file), format);
  const sheets: { name: string; rows: Row[] }[] = [];
  for await (const sheet of source.sheets()) {
    const rows: Row[] = [];
    for await (const row of sheet.rows) rows.push(row);
    sheets.push({ name: sheet.name, rows });
  }
  return { sheets };
}

async function refusal(file: string, format: 'CSV' | 'XLSX'): Promise<UserInputError> {
  try {
    await readAll(file, format);
  } catch (err) {
    assert.ok(err instanceof UserInputError, `a coded error, got ${String(err)}`);
    assert.match(err.message, /[가-힣]/, 'Korean first');
    assert.ok(!err.message.includes(dir) && !err.message.includes(os.tmpdir()), 'no path');
    assert.doesNotMatch(err.message, /\bat .*:\d+|Internal error|Error:/, 'no internal text');
    return err;
  }
  assert.fail('expected a refusal');
}

async function workbook(name: string, edit: (zip: JSZip) => void | Promise<void>): Promise<string> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('좌표').addRows([
    ['x', 'y'],
    [126.97, 37.57],
  ]);
  const zip = await JSZip.loadAsync(Buffer.from(await wb.xlsx.writeBuffer()));
  await edit(zip);
  const file = path.join(dir, name);
  fs.writeFileSync(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
  return file;
}

test('rows of CSV and XLSX come through the worker whole and typed', async () => {
  const csv = path.join(dir, 'ok.csv');
  fs.writeFileSync(csv, 'x,y,메모\n126.97,37.57,"따옴표, 쉼표"\n127,37.5,\n');
  const read = await readAll(csv, 'CSV');
  assert.deepEqual(read.sheets[0].rows, [
    ['x', 'y', '메모'],
    ['126.97', '37.57', '따옴표, 쉼표'],
    ['127', '37.5', ''],
  ]);
  const xlsx = await workbook('ok.xlsx', () => {});
  assert.deepEqual((await readAll(xlsx, 'XLSX')).sheets, [{ name: '좌표', rows: [['x', 'y'], [126.97, 37.57]] }]);
});

test('a 2 MB CSV field and an unclosed quote are refused with the row', async () => {
  const big = path.join(dir, 'big-field.csv');
  fs.writeFileSync(big, `x,y,memo\n126.97,37.57,"${'가'.repeat(2_000_000)}"\n`);
  const e = await refusal(big, 'CSV');
  assert.equal(e.code, 'ROW_TOO_LONG');
  assert.match(e.message, /시트 "big-field"/);

  const cell = path.join(dir, 'long-cell.csv');
  fs.writeFileSync(cell, `x,y,memo\n126.97,37.57,${'a'.repeat(40_000)}\n`);
  const c = await refusal(cell, 'CSV');
  assert.equal(c.code, 'CELL_TOO_LONG');
  assert.match(c.message, /2번째 행/);
});

test('a DTD, a text run of megabytes and a truncated zip are refused with a code', async () => {
  const dtd = await workbook('dtd.xlsx', async (zip) => {
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    zip.file('xl/worksheets/sheet1.xml', xml.replace('?>', '?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'));
  });
  assert.equal((await refusal(dtd, 'XLSX')).code, 'UNSAFE_XML');

  const run = await workbook('long-run.xlsx', async (zip) => {
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    zip.file('xl/worksheets/sheet1.xml', xml.replace('</sheetData>', `<row r="3"><c r="A3" t="inlineStr"><is><t>${'b'.repeat(3 * 1024 * 1024)}</t></is></c></row></sheetData>`));
  });
  const r = await refusal(run, 'XLSX');
  assert.equal(r.code, 'FILE_TOO_COMPLEX');
  assert.match(r.message, /시트 "좌표"/);

  const whole = fs.readFileSync(await workbook('whole.xlsx', () => {}));
  const cut = path.join(dir, 'cut.xlsx');
  fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
  assert.ok(['UNSUPPORTED_FILE', 'FILE_DAMAGED'].includes((await refusal(cut, 'XLSX')).code));

  // And the reader still works for the next file.
  const ok = await workbook('after.xlsx', () => {});
  assert.equal((await readAll(ok, 'XLSX')).sheets[0].rows.length, 2);
});

test('a sheet read only in part is skipped, and the next sheet comes whole', async () => {
  const wb = new ExcelJS.Workbook();
  const rows = Array.from({ length: 5000 }, (_, i) => [i, 126 + i / 1e4, 37]);
  wb.addWorksheet('a').addRows(rows);
  wb.addWorksheet('b').addRows(rows.slice(0, 3));
  const file = path.join(dir, 'two.xlsx');
  fs.writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
  const source = await openTableSource(file, 'two.xlsx', 'XLSX');
  const seen: [string, number][] = [];
  for await (const sheet of source.sheets()) {
    let n = 0;
    for await (const _ of sheet.rows) if (++n === 10) break;
    seen.push([sheet.name, n]);
  }
  assert.deepEqual(seen, [
    ['a', 10],
    ['b', 3],
  ]);
});

test('a reading worker is reused by the next file, reads that file, and one that dies is not reused', async () => {
  const write = (name: string, rows: number, x: number) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, ['x,y', ...Array.from({ length: rows }, (_, i) => `${x}.${i % 1000},37.5`)].join('\n'));
    return file;
  };
  const rowsOf = async (file: string) => (await readAll(file, 'CSV')).sheets[0].rows;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 700)); // past the source's own 500 ms
  assert.equal((await rowsOf(write('a.csv', 3, 126)))[1][0], '126.0');
  await settle();
  const idle = readingWorkers().filter((w) => w.pooled);
  assert.ok(idle.length >= 1, 'the worker waits in the pool');
  const threadIds = new Set(readingWorkers().map((w) => w.worker.threadId));

  const b = await rowsOf(write('b.csv', 5, 127));
  assert.deepEqual(b.slice(0, 2), [['x', 'y'], ['127.0', '37.5']], "the next file's rows, not the last one's");
  assert.equal(b.length, 6);
  await settle();
  assert.ok(readingWorkers().every((w) => threadIds.has(w.worker.threadId)), 'no new worker was started');

  // A worker that dies mid-read fails that read with a code, and is not handed out again.
  const big = write('big.csv', 200_000, 128);
  const source = await openTableSource(big, 'big.csv', 'CSV');
  await assert.rejects(
    (async () => {
      let first = true;
      for await (const _ of source.batches!('big')) {
        if (!first) continue;
        first = false;
        // Let more batches arrive first: rows already sent are still taken after the death, and
        // taking them must not start a worker for a stream no worker knows.
        await new Promise((resolve) => setTimeout(resolve, 100));
        for (const w of readingWorkers().filter((r) => !r.pooled)) await w.worker.terminate();
      }
    })(),
    (err) => err instanceof UserInputError && err.code === 'FILE_TOO_COMPLEX',
  );
  assert.ok(readingWorkers().every((w) => w.pooled), 'the dead worker is gone');
  assert.equal((await rowsOf(write('c.csv', 2, 129)))[2][0], '129.1');
});
