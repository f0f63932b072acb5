import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import CFB from 'cfb';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { parse, specifiedRules, validate } from 'graphql';
import { parseCoordinate } from '../src/detection/coordinates';
import { failureOf, isTransientDatabaseError } from '../src/conversion/failures';
import { findColumnsByValues } from '../src/detection/value-columns';
import { baseUrlFromHeaders } from '../src/http/app';
import { withLimits } from '../src/reading/limited-source';
import { detectInputFormat } from '../src/reading/open-source';
import { XlsxSource } from '../src/reading/xlsx-source';
import { buildAppSchema } from '../src/resolvers/build-schema';
import { queryLimitRules } from '../src/schema/query-limits';
import { CsvOutputWriter } from '../src/writing/csv-writer';

test('long runs of digits are no coordinate, and are rejected', () => {
  const digits = '1'.repeat(50_000);
  assert.ok('problem' in parseCoordinate(`${digits}x`));
  assert.ok('problem' in parseCoordinate(digits));
  assert.deepEqual(parseCoordinate(' 126.5 '), { value: 126.5 });
  assert.deepEqual(parseCoordinate('1.5e3'), { value: 1500 });
  assert.ok('problem' in parseCoordinate('1.2.3'));
});

test('coordinates by value are found among many numeric columns', () => {
  const rows = Array.from({ length: 100 }, (_, r) => Array.from({ length: 400 }, (_, c) => (c === 300 ? 126.9 + r / 1000 : c === 301 ? 37.5 + r / 1000 : (r * 7 + c) % 1000)));
  // Column 300 is past the scanned columns: a header-less table that wide is not guessed at.
  assert.equal(findColumnsByValues(rows), null);
  const near = rows.map((r) => [r[300], r[301], ...r.slice(0, 200)]);
  const found = findColumnsByValues(near);
  assert.deepEqual([found?.xIndex, found?.yIndex], [0, 1]);
});

test('an encrypted workbook is called what it is', () => {
  const cfb = CFB.utils.cfb_new();
  CFB.utils.cfb_add(cfb, '/EncryptionInfo', Buffer.alloc(200, 1));
  CFB.utils.cfb_add(cfb, '/EncryptedPackage', Buffer.alloc(5000, 2));
  const bytes = Buffer.from(CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
  const head = bytes.subarray(0, 8192);
  assert.throws(() => detectInputFormat('secret.xlsx', head), { code: 'ENCRYPTED_FILE' });
  assert.throws(() => detectInputFormat('secret.bin', head), { code: 'ENCRYPTED_FILE' });
  const xls = CFB.utils.cfb_new();
  CFB.utils.cfb_add(xls, '/Workbook', Buffer.alloc(5000, 3));
  assert.throws(() => detectInputFormat('old.xls', Buffer.from(CFB.write(xls, { type: 'buffer' }) as Uint8Array).subarray(0, 8192)), { code: 'UNSUPPORTED_FILE' });
});

test('sheet names in the CSV output are neutralised like cells', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-csvname-'));
  const out = path.join(dir, 'out.csv');
  const file = fs.createWriteStream(out);
  const closed = new Promise<void>((resolve) => file.on('close', () => resolve()));
  const writer = new CsvOutputWriter(file, true);
  writer.startSheet({ name: '=HYPERLINK("http://evil","x")', leadingRows: [], header: ['x', 'y'], appendedHeader: ['주소'], sample: [] });
  writer.writeRow(['1', '2'], ['서울']);
  await writer.finish();
  await closed;
  const text = fs.readFileSync(out, 'utf8');
  assert.match(text, /\r\n"'=HYPERLINK\(""http:\/\/evil"",""x""\)",1,2,서울/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('forwarded headers are believed only with TRUST_PROXY', () => {
  const headers = { host: 'geo.local:4000', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
  assert.equal(baseUrlFromHeaders(headers, false), 'http://geo.local:4000');
  assert.equal(baseUrlFromHeaders(headers, true), 'https://evil.example');
});

test('a query with thousands of aliases, or too deep, is refused with QUERY_TOO_COMPLEX', async () => {
  const schema = await buildAppSchema();
  const rules = [...specifiedRules, ...queryLimitRules];
  const aliases = parse(`{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: conversions(limit: 200) { id }`).join(' ')} }`);
  const errors = validate(schema, aliases, rules);
  assert.ok(errors.length > 0);
  assert.ok(errors.every((e) => e.extensions.code === 'QUERY_TOO_COMPLEX'), errors.map((e) => e.message).join('; '));
  const ordinary = parse(`{ conversions(limit: 20) { id status fileName progress downloadUrl } boundarySets { name } }`);
  assert.deepEqual(validate(schema, ordinary, rules), []);
});

test('transient database errors and a full disk are told apart', () => {
  assert.ok(isTransientDatabaseError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })));
  assert.ok(isTransientDatabaseError({ message: 'x', driverError: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
  assert.ok(!isTransientDatabaseError(Object.assign(new Error('syntax error'), { code: '42601' })));
  assert.equal(failureOf(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })).code, 'DISK_FULL');
});

test('renamed sheets reach the notes through the limits (MAX_SHEETS, MAX_COLUMNS) too, and the declared rows', async () => {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('첫째').addRows([['x', 'y'], [126.97, 37.57]]);
  wb.addWorksheet('둘째').addRows([['x', 'y'], [127.0, 37.5]]);
  const zip = await JSZip.loadAsync(await wb.xlsx.writeBuffer());
  zip.file('xl/workbook.xml', (await zip.file('xl/workbook.xml')!.async('string')).replace('name="첫째"', 'name="기록"').replace('name="둘째"', 'name="기록"'));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-names-')), 'same-names.xlsx');
  fs.writeFileSync(file, await zip.generateAsync({ type: 'nodebuffer' }));
  try {
    const limited = withLimits(new XlsxSource(file), { maxSheets: 10, maxColumns: 100 });
    const names = await limited.sheetNames();
    assert.equal(names.length, 2);
    assert.notEqual(names[0], names[1]);
    const notes = (await limited.notes?.()) ?? [];
    assert.equal(notes.length, 1, JSON.stringify(notes));
    assert.match(notes[0], /"기록" is named/);
    assert.equal(await limited.declaredRows?.(names[1]), 2);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});
