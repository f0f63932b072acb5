import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { countCsvRecords, CsvRecordCounter } from '../src/reading/csv-record-count';
import { CsvSource } from '../src/reading/csv-source';
import { seededRandom } from '../bench/generate-csv';

/** What CsvSource reads: csv-parse with its settings (null when csv-parse rejects the text). */
function parsedRecords(text: string, delimiter: string): number | null {
  try {
    return parse(text, { delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }).length;
  } catch {
    return null;
  }
}

/** The counter over the bytes, fed in chunks cut at the given places. */
function counted(bytes: Buffer, delimiter: string, cuts: number[]): number {
  const counter = new CsvRecordCounter(delimiter.charCodeAt(0));
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    counter.push(bytes.subarray(from, Math.max(from, cut)));
    from = Math.max(from, cut);
  }
  counter.push(bytes.subarray(from));
  return counter.end();
}

test('counts what csv-parse reads: quotes, doubled quotes, newlines in quotes, CRLF, CR, empty lines, BOM', () => {
  const cases: [string, number][] = [
    ['a,b\n1,2\n', 2],
    ['a,b\n1,2', 2],
    ['a,b\r\n1,2\r\n\r\n3,4', 3],
    ['a,b\r1,2\r3,4\r', 3],
    ['\ufeffx,y\n"1\n2",3\n', 2],
    ['x\n"a ""quoted"" word",b\n\n\n', 2],
    ['x\n""\n', 2],
    ['x\nab"c\nd\n', 3],
    ['x\n"ab"c,d\n"e\n', null as unknown as number],
    ['x,y\n,\n', 2],
    ['x\r\ny\rz\r\n', 2],
    ['', 0],
    ['\n\n', 0],
  ];
  for (const [text, expected] of cases) {
    const parsed = parsedRecords(text, ',');
    if (expected !== null) assert.equal(parsed, expected, `csv-parse on ${JSON.stringify(text)}`);
    if (parsed === null) continue;
    assert.equal(counted(Buffer.from(text, 'utf8'), ',', []), parsed, JSON.stringify(text));
  }
});

test('agrees with csv-parse on 3,000 random texts, in UTF-8 and CP949, cut into chunks anywhere', () => {
  const random = seededRandom(7);
  const alphabet = ['a', '1', ',', '\t', '"', '"', '\r', '\n', '\n', ' ', '가', '힣', '\r\n'];
  let compared = 0;
  for (let k = 0; k < 3_000; k++) {
    const length = Math.floor(random() * 40);
    let text = random() < 0.1 ? '\ufeff' : '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    const delimiter = random() < 0.5 ? ',' : '\t';
    const parsed = parsedRecords(text, delimiter);
    if (parsed === null) continue; // rejected by csv-parse (an unclosed quote): the conversion fails on it anyway
    compared++;
    const utf8 = Buffer.from(text, 'utf8');
    const cuts = Array.from({ length: 3 }, () => Math.floor(random() * (utf8.length + 1)));
    assert.equal(counted(utf8, delimiter, cuts), parsed, `UTF-8 ${JSON.stringify(text)} cut at ${cuts}`);
    const cp949 = iconv.encode(text.replace(/^\ufeff/, ''), 'cp949');
    assert.equal(counted(cp949, delimiter, cuts), parsedRecords(text.replace(/^\ufeff/, ''), delimiter), `CP949 ${JSON.stringify(text)}`);
  }
  assert.ok(compared > 1_500, `compared ${compared} texts`);
});

test('a file counts as many records as CsvSource reads from it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-count-'));
  try {
    const lines = ['경도,위도,메모'];
    for (let i = 0; i < 5_000; i++) lines.push(i % 97 === 0 ? `127.${i},37.5,"여러 줄\n메모 ""${i}"""` : `127.${i},37.5,행 ${i}`);
    const file = path.join(dir, 'points.csv');
    fs.writeFileSync(file, iconv.encode(lines.join('\r\n') + '\r\n', 'cp949'));
    const source = await CsvSource.open(file, 'points.csv');
    let read = 0;
    for await (const _ of source.rows(source.sheetName)) read++;
    assert.equal(read, 5_001);
    assert.equal(await countCsvRecords(file, source.settings.encoding!, source.settings.delimiter!), read);
    assert.equal(await countCsvRecords(file, 'utf-16le', ','), null, 'UTF-16 cannot be scanned byte by byte');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
