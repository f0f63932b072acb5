import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import iconv from 'iconv-lite';
import { CsvTextParser } from './csv-parser';
import { countCsvRecords } from './csv-record-count';
import { detectEncoding } from './encoding';
import { READ_LIMITS } from './read-limits';
import type { ReadSettings, Row, SheetRows, TableSource } from './table-source';

const DELIMITERS = [',', '\t', ';', '|'];

/**
 * CSV/TSV input, streamed: decoded from the detected encoding, parsed by CsvTextParser (quotes,
 * CRLF/LF/CR, BOM; what csv-parse reads, see csv-parser.ts). A CSV file is one sheet, named after
 * the file.
 */
export class CsvSource implements TableSource {
  private constructor(
    private readonly file: string,
    readonly sheetName: string,
    readonly settings: ReadSettings,
  ) {}

  static async open(file: string, displayName: string, known?: ReadSettings): Promise<CsvSource> {
    const settings: ReadSettings = known ?? (await CsvSource.detect(file));
    return new CsvSource(file, sheetNameFor(displayName), settings);
  }

  private static async detect(file: string): Promise<ReadSettings> {
    const { encoding } = await detectEncoding(file);
    const head = await readHead(file, encoding);
    return { format: 'CSV', encoding, delimiter: detectDelimiter(head) };
  }

  async sheetNames(): Promise<string[]> {
    return [this.sheetName];
  }

  async *sheets(): AsyncGenerator<SheetRows> {
    yield { name: this.sheetName, rows: this.rows(this.sheetName) };
  }

  async *rows(sheet: string): AsyncGenerator<Row> {
    if (sheet !== this.sheetName) throw new Error(`A CSV file has one sheet, "${this.sheetName}"`);
    // A record (all its fields) is never collected beyond READ_LIMITS.rowChars: an unclosed quote
    // or a 200 MB field is refused with where it starts (read-limits.ts), not read into memory.
    const parser = new CsvTextParser(this.settings.delimiter ?? ',', READ_LIMITS.rowChars);
    const encoding = this.settings.encoding ?? 'utf-8';
    // UTF-8 through the file stream's own decoder; other encodings through iconv-lite. pipeline,
    // not pipe: a reader that stops early (the analysis, once it has what it needs) destroys the
    // decoder, and that must close the file too; a read error reaches the loop through it.
    const text = (
      encoding === 'utf-8' || encoding === 'utf8'
        ? fs.createReadStream(this.file, { encoding: 'utf8' })
        : pipeline(fs.createReadStream(this.file), iconv.decodeStream(encoding), () => {})
    ) as AsyncIterable<string>;
    for await (const chunk of text) for (const record of parser.push(chunk)) yield record;
    for (const record of parser.end()) yield record;
  }

  /** Counted by scanning the bytes (csv-record-count.ts), far faster than parsing every row. */
  async countRows(sheet: string): Promise<number | null> {
    if (sheet !== this.sheetName) throw new Error(`A CSV file has one sheet, "${this.sheetName}"`);
    return countCsvRecords(this.file, this.settings.encoding ?? 'utf-8', this.settings.delimiter ?? ',');
  }
}

/** XLSX sheet names: at most 31 characters, none of : \ / ? * [ ]. */
export function sheetNameFor(fileName: string): string {
  const base = path.parse(fileName).name.replace(/[:\\/?*[\]]/g, '_').trim();
  return (base || 'Sheet1').slice(0, 31);
}

async function readHead(file: string, encoding: string): Promise<string> {
  const stream = fs.createReadStream(file, { start: 0, end: 64 * 1024 - 1 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return iconv.decode(Buffer.concat(chunks), encoding);
}

/**
 * The delimiter is the candidate that appears the same (non-zero) number of times on most of the
 * first lines, quoted text ignored; a comma when nothing fits.
 */
export function detectDelimiter(head: string): string {
  const lines = head.split(/\r?\n/).slice(0, 50).filter((l) => l.trim() !== '');
  if (lines.length > 1) lines.pop(); // the last line of a sample may be cut short
  let best = { delimiter: ',', score: 0 };
  for (const d of DELIMITERS) {
    const counts = lines.map((l) => countOutsideQuotes(l, d));
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const consistent = counts.filter((c) => c === first).length;
    const score = consistent * 1000 + first;
    if (score > best.score) best = { delimiter: d, score };
  }
  return best.delimiter;
}

function countOutsideQuotes(line: string, ch: string): number {
  let n = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === ch && !quoted) n++;
  }
  return n;
}
