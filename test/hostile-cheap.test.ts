import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import CFB from 'cfb';
import iconv from 'iconv-lite';
import type { AppendedColumns } from '../src/conversion/appended-columns';
import { CHUNK_CHARS, ChunkPipeline } from '../src/conversion/chunk-pipeline';
import { failureOf } from '../src/conversion/failures';
import { CsvSource } from '../src/reading/csv-source';
import { detectEncodingOf } from '../src/reading/encoding';
import { detectInputFormat } from '../src/reading/open-source';
import { CsvOutputWriter } from '../src/writing/csv-writer';

/** Korean first: the first letter outside quotes is Hangul (as scripts/hostile-corpus.ts checks). */
const koreanFirst = (message: string) => /[\uAC00-\uD7A3]/.test(message.replace(/"[^"]*"/g, '').match(/\p{L}/u)?.[0] ?? '');

test('files refused from their first bytes are told in Korean first, without their name', () => {
  const cases: [string, Buffer, string][] = [
    ['empty.csv', Buffer.alloc(0), 'EMPTY_FILE'],
    ['old.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...Buffer.alloc(600)]), 'UNSUPPORTED_FILE'],
    ['secret.xlsx', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...Buffer.alloc(600)]), 'ENCRYPTED_FILE'],
    ['../../etc/passwd.zip', Buffer.from('PK\x03\x04abc'), 'UNSUPPORTED_FILE'],
    ['image.xlsx', Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'UNSUPPORTED_FILE'],
    ['data.pdf', Buffer.from('%PDF-1.7'), 'UNSUPPORTED_FILE'],
    ['/tmp/elf.csv', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0]), 'UNSUPPORTED_FILE'],
  ];
  for (const [name, head, code] of cases) {
    assert.throws(
      () => detectInputFormat(name, head),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, code, name);
        assert.ok(koreanFirst(err.message), `${name}: ${err.message}`);
        assert.ok(!err.message.includes('/tmp/') && !err.message.includes('etc/passwd'), err.message);
        return true;
      },
    );
  }
});

test('an old .xls renamed .xlsx is called an old .xls, not an encrypted workbook', () => {
  const xls = CFB.utils.cfb_new();
  CFB.utils.cfb_add(xls, '/Workbook', Buffer.alloc(5000, 3));
  const head = Buffer.from(CFB.write(xls, { type: 'buffer' }) as Uint8Array).subarray(0, 8192);
  assert.throws(() => detectInputFormat('old.xlsx', head), (err: Error & { code?: string }) => err.code === 'UNSUPPORTED_FILE' && /\.xls/.test(err.message));
});

test('UTF-16 without a BOM is read as UTF-16, not refused as binary', async () => {
  const text = '번호,경도,위도,메모\n1,126.97,37.57,가나다\n2,127.0,37.5,서울\n';
  for (const [encoding, bytes] of [
    ['utf-16le', iconv.encode(text, 'utf16le')],
    ['utf-16be', iconv.encode(text, 'utf16be')],
  ] as const) {
    assert.equal(detectInputFormat('points.csv', bytes), 'CSV');
    assert.deepEqual(detectEncodingOf(bytes), { encoding, bom: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-utf16-'));
    const file = path.join(dir, 'points.csv');
    fs.writeFileSync(file, bytes);
    const source = await CsvSource.open(file, 'points.csv');
    const rows: unknown[][] = [];
    for await (const sheet of source.sheets()) for await (const row of sheet.rows) rows.push(row);
    assert.deepEqual(rows[0], ['번호', '경도', '위도', '메모']);
    assert.equal(rows.length, 3);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Text in an 8-bit encoding, and a binary with zeros on both sides, are not UTF-16.
  assert.equal(detectEncodingOf(iconv.encode(text, 'cp949')).encoding, 'cp949');
  assert.throws(() => detectInputFormat('x.csv', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0])), { code: 'UNSUPPORTED_FILE' });
});

test('an unexpected error is stored for the user without its text', () => {
  const failure = failureOf(Object.assign(new Error("EMFILE: too many open files, open '/srv/data/uploads/x'"), { code: 'EMFILE' }));
  assert.equal(failure.code, 'INTERNAL');
  assert.ok(koreanFirst(failure.message));
  assert.doesNotMatch(failure.message, /EMFILE|\/srv|Internal error:/);
});

test('a chunk closes at CHUNK_CHARS characters of text, however few rows it has', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-chunk-chars-'));
  const input = path.join(dir, 'memo.csv');
  const memo = '차량 운행 기록 '.repeat(3000); // 27,000 characters a row
  const rowsPerChunk = Math.ceil(CHUNK_CHARS / (memo.length + 10)); // x (6) and y (4) are text too
  const total = rowsPerChunk * 2 + 7;
  fs.writeFileSync(input, ['x,y,memo', ...Array.from({ length: total }, (_, i) => `126.9${i % 10},37.5,${memo}`)].join('\n'));
  const out = fs.createWriteStream(path.join(dir, 'out.csv'));
  const chunks: number[] = [];
  const sheet = { name: 'memo', headerRow: 0, header: ['x', 'y', 'memo'], xIndex: 0, yIndex: 1, dataRows: total };
  const pipeline = new ChunkPipeline({
    detected: { format: 'CSV', srid: 4326, sheets: [sheet], notes: [] },
    source: await CsvSource.open(input, 'memo.csv'),
    writer: new CsvOutputWriter(out, false),
    columns: { headerFor: () => ({ names: [] }), valuesFor: () => [], keyFor: () => null } as unknown as AppendedColumns,
    chunkRows: 100_000,
    resultsFor: async (rows) => {
      chunks.push(rows.length);
      return { sets: [], basis: null };
    },
    signal: new AbortController().signal,
    timings: { analyzeMs: 0, readMs: 0, geocodeMs: 0, writeMs: 0, totalMs: 0 },
  });
  await pipeline.writeAllSheets();
  out.end();
  assert.deepEqual(chunks, [rowsPerChunk, rowsPerChunk, 7]);
  fs.rmSync(dir, { recursive: true, force: true });
});
