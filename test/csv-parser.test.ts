import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { seededRandom } from '../bench/generate-csv';
import { CsvParseError, CsvTextParser } from '../src/reading/csv-parser';

/** csv-parse with the settings CsvSource used it with: the reference (null when it rejects the text). */
function reference(text: string, delimiter: string): string[][] | null {
  try {
    return parse(text, { delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true });
  } catch {
    return null;
  }
}

/** The parser over the text fed in chunks cut at the given places (null when it refuses the text). */
function parsed(text: string, delimiter: string, cuts: number[] = [], maxRecordChars = Infinity): string[][] | null {
  const parser = new CsvTextParser(delimiter, maxRecordChars);
  const records: string[][] = [];
  let from = 0;
  try {
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      records.push(...parser.push(text.slice(from, Math.max(from, cut))));
      from = Math.max(from, cut);
    }
    records.push(...parser.push(text.slice(from)));
    records.push(...parser.end());
    return records;
  } catch (err) {
    if (err instanceof CsvParseError) return null;
    throw err;
  }
}

test('reads what csv-parse reads: quotes, doubled quotes, text after a closing quote, newlines, BOM, empty lines', () => {
  const cases = [
    'a,b\n1,2\n',
    'a,b\n1,2',
    'a,b\r\n1,2\r\n\r\n3,4',
    'a,b\r1,2\r3,4\r',
    '\ufeffx,y\n"1\n2",3\n',
    'x\n"a ""quoted"" word",b\n\n\n',
    '"ab"cd,e\n',
    '"a""b"x,y\n',
    '"a"x""y,z\n',
    '"a\nb"c,d\n',
    'a"b,c\n',
    ' ,\n',
    'a\rb\r\nc\n',
    'a\r\nb\nc\r\n',
    'a\n\r\nb\n',
    'x\n"a"\r\n',
    'x\r\n"a"\rb\r\n',
    '"a"\r',
    'a,"b"',
    '""',
    '"",""\n',
    'a\n\ufeffb\n',
    '\r\n\r\na\r\n',
    'a\r\nb\r',
  ];
  for (const text of cases) {
    const want = reference(text, ',');
    assert.notEqual(want, null, JSON.stringify(text));
    assert.deepEqual(parsed(text, ','), want, JSON.stringify(text));
  }
  for (const text of ['"', '"ab"",c\n', 'x\n"ab"c,d\n"e\n', '"""a']) {
    assert.equal(reference(text, ','), null, JSON.stringify(text));
    assert.equal(parsed(text, ','), null, `refused: ${JSON.stringify(text)}`);
  }
});

test('agrees with csv-parse on 20,000 random texts cut into chunks anywhere, and refuses what it refuses', () => {
  const random = seededRandom(11);
  const alphabet = ['a', '1', ',', ',', '\t', ';', '"', '"', '"', '\r', '\n', '\n', ' ', '가', '\r\n', '""', '\ufeff', '😀'];
  let refused = 0;
  for (let k = 0; k < 20_000; k++) {
    const length = Math.floor(random() * 30);
    let text = random() < 0.1 ? '\ufeff' : '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    const delimiter = [',', '\t', ';'][Math.floor(random() * 3)]!;
    const want = reference(text, delimiter);
    if (want === null) refused++;
    const cuts = Array.from({ length: Math.floor(random() * 4) }, () => Math.floor(random() * (text.length + 1)));
    assert.deepEqual(parsed(text, delimiter, cuts), want, `${JSON.stringify(text)} with ${JSON.stringify(delimiter)} cut at ${cuts}`);
  }
  assert.ok(refused > 100 && refused < 15_000, `both kinds of text were compared (${refused} refused)`);
});

test('an unclosed quote early in a long text is refused as soon as the record passes the limit, with where it starts', () => {
  const parser = new CsvTextParser(',', 1000);
  assert.deepEqual(parser.push('x,y\n1,2\n3,"open\n'), [['x', 'y'], ['1', '2']]);
  let err: unknown = null;
  try {
    for (let i = 0; i < 100; i++) parser.push('126.9,37.5,hello\n');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CsvParseError);
  assert.equal(err.code, 'CSV_MAX_RECORD_SIZE');
  assert.equal(err.lines, 3);
  // Under the limit, the end says the quote is never closed, and where it opened.
  const short = new CsvTextParser(',', 1000);
  short.push('x,y\n1,"2\n3,4\n');
  assert.throws(() => short.end(), (e) => e instanceof CsvParseError && e.code === 'CSV_QUOTE_NOT_CLOSED' && e.lines === 2);
});

test('a row of a million empty cells is refused as too long, not collected', () => {
  const parser = new CsvTextParser(',', 1_048_576);
  assert.throws(
    () => {
      for (let i = 0; i < 20; i++) parser.push(','.repeat(100_000));
    },
    (e) => e instanceof CsvParseError && e.code === 'CSV_MAX_RECORD_SIZE' && e.lines === 1,
  );
});
