import fs from 'node:fs';
import { CR, LF, Newline, newlineKind, newlineLength, QUOTE } from './csv-syntax';

/**
 * Counts the records of CSV text the way CsvSource reads them (CsvTextParser, which reads what
 * csv-parse reads with bom, relax_quotes and skip_empty_lines; both are tested against it), by
 * scanning the bytes instead of parsing them (the analysis needs the count for progress before
 * the conversion starts; a full parse of a million rows with csv-parse took ~4 s):
 * - a field that starts with `"` is quoted: delimiters and newlines in it are text, `""` is a
 *   quote, and a quote not followed by a delimiter, a newline or the end closes it anyway
 *   (relax_quotes); a quote inside an unquoted field is text;
 * - the record delimiter is the first of `\r\n`, `\n` or `\r` met outside quotes; the other two
 *   are text from then on, as csv-parse's auto-discovery has it;
 * - lines without a single byte are skipped (skip_empty_lines), as is a UTF-8 BOM.
 *
 * Works on the raw bytes of encodings in which `"`, CR, LF and the delimiters only ever stand for
 * themselves: UTF-8 (multi-byte sequences use bytes ≥ 0x80 only) and CP949/EUC-KR (second bytes
 * are letters or ≥ 0x81). Feed chunks with push(), then call end().
 */
export class CsvRecordCounter {
  private records = 0;
  private quoting = false;
  /** No byte in the current field yet: only then does a quote open a quoted field. */
  private fieldEmpty = true;
  /** No byte in the current line yet: such a line is skipped, not counted. */
  private lineEmpty = true;
  private newline = Newline.Unknown;
  /** Bytes held back from the previous chunk because the next byte decides what they mean. */
  private carry: Buffer | null = null;
  private started = false;

  constructor(private readonly delimiter: number) {}

  push(chunk: Buffer): void {
    this.scan(this.carry ? Buffer.concat([this.carry, chunk]) : chunk, false);
  }

  /** The number of records, the last one counted even without a newline after it. */
  end(): number {
    this.scan(this.carry ?? Buffer.alloc(0), true);
    if (!this.lineEmpty) this.records++;
    this.lineEmpty = true;
    return this.records;
  }

  private scan(buf: Buffer, atEnd: boolean): void {
    this.carry = null;
    let i = 0;
    if (!this.started) {
      if (buf.length < 3 && !atEnd) {
        this.carry = buf;
        return;
      }
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    }
    const n = buf.length;
    for (; i < n; i++) {
      const b = buf[i];
      if (this.quoting) {
        if (b !== QUOTE) continue;
        if (i + 1 >= n && !atEnd) {
          this.carry = buf.subarray(i);
          return;
        }
        if (buf[i + 1] === QUOTE) {
          i++; // "" inside quotes: one quote character
          continue;
        }
        // Closes the quoted field; anything after it before the delimiter is text of the field.
        this.quoting = false;
        this.fieldEmpty = false;
        continue;
      }
      if (b === CR || b === LF) {
        if (b === CR && i + 1 >= n && !atEnd) {
          this.carry = buf.subarray(i);
          return;
        }
        const next = i + 1 < n ? buf[i + 1] : -1;
        if (this.newline === Newline.Unknown) this.newline = newlineKind(b, next);
        const length = newlineLength(this.newline, b, next);
        if (length > 0) {
          if (!this.lineEmpty) this.records++;
          this.lineEmpty = true;
          this.fieldEmpty = true;
          i += length - 1;
          continue;
        }
        // Not this file's record delimiter: text.
      }
      this.lineEmpty = false;
      if (b === this.delimiter) this.fieldEmpty = true;
      else if (b === QUOTE && this.fieldEmpty) this.quoting = true;
      else this.fieldEmpty = false;
    }
  }
}

/** Encodings whose bytes CsvRecordCounter can scan as they are. */
const SCANNABLE = new Set(['utf-8', 'utf8', 'cp949', 'euc-kr']);

/**
 * The number of records in a CSV file (header and title rows included), or null when its encoding
 * cannot be scanned byte by byte (UTF-16) or the delimiter is not a single ASCII character.
 */
export async function countCsvRecords(file: string, encoding: string, delimiter: string): Promise<number | null> {
  if (!SCANNABLE.has(encoding.toLowerCase()) || delimiter.length !== 1 || delimiter.charCodeAt(0) > 0x7f) return null;
  const counter = new CsvRecordCounter(delimiter.charCodeAt(0));
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) counter.push(chunk as Buffer);
  return counter.end();
}
