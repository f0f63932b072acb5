import { CR, LF, Newline, newlineKind, newlineLength, QUOTE } from './csv-syntax';

/** How CsvTextParser refuses text, coded as csv-parse codes it (read-limits.ts describes it). */
export class CsvParseError extends Error {
  constructor(
    message: string,
    readonly code: 'CSV_QUOTE_NOT_CLOSED' | 'CSV_MAX_RECORD_SIZE',
    /** The record (1 = the first line) where the quote or the long row starts. */
    readonly lines: number,
  ) {
    super(message);
  }
}

/**
 * CSV text to records, fed in chunks, reading exactly what csv-parse reads with CsvSource's
 * settings (bom, relax_column_count, relax_quotes, skip_empty_lines; the record delimiter found
 * as CsvRecordCounter finds it):
 * - a field that starts with `"` is quoted: delimiters and newlines in it are text, `""` is a
 *   quote; a closing quote followed by anything but a delimiter, the record delimiter or the end
 *   makes the field its text as written (`"ab"cd` is `"ab"cd`, `"a""b"x` is `"a"b"x`) up to the
 *   next delimiter; a quote inside an unquoted field is text;
 * - the record delimiter is the first of `\r\n`, `\n` or `\r` met outside quotes; the other two
 *   are text from then on;
 * - lines without a single character are skipped, as is a BOM at the start;
 * - a quote never closed is refused at the end (CSV_QUOTE_NOT_CLOSED), and a record is never
 *   held beyond `maxRecordChars` characters (CSV_MAX_RECORD_SIZE), so an unclosed quote early in
 *   a large file costs neither memory nor time.
 *
 * Written by hand, with csv-parse kept as the reference in the tests (test/csv-parser.test.ts
 * compares the two on thousands of random texts cut into chunks anywhere): csv-parse took 1.9–2.0 s
 * of the reading worker for a million bench rows, this takes a fraction of it (README,
 * Performance). papaparse is as fast but reads a quote after a closed quote as text of a still
 * open field, and with an unclosed quote it holds the rest of the file as one row, parsed again
 * with every chunk (23 MB: 2.1 s and 214 MB; the time grows with the square of the size).
 */
export class CsvTextParser {
  private record: string[] = [];
  /** Text of the current field taken so far (from earlier chunks, or before a doubled quote). */
  private field = '';
  /** Characters in the current record's finished fields, with their delimiters. */
  private recordChars = 0;
  private quoting = false;
  /** No character in the current field yet: only then does a quote open a quoted field. */
  private fieldEmpty = true;
  /** No character in the current line yet: such a line is skipped. */
  private lineEmpty = true;
  private newline = Newline.Unknown;
  /** Characters held back from the previous chunk because the next one decides what they mean. */
  private carry = '';
  private started = false;
  /** Records finished (and lines skipped), for where an error is. */
  private lines = 0;
  /** The record where the open quote started. */
  private quoteLine = 0;

  constructor(
    private readonly delimiter: string,
    private readonly maxRecordChars = Infinity,
  ) {
    if (delimiter.length !== 1) throw new Error('CsvTextParser: the delimiter must be one character');
  }

  /** The records this chunk completes. */
  push(chunk: string): string[][] {
    const out: string[][] = [];
    this.scan(this.carry + chunk, false, out);
    return out;
  }

  /** The records left at the end of the text (the last one needs no newline after it). */
  end(): string[][] {
    const out: string[][] = [];
    this.scan(this.carry, true, out);
    if (this.quoting) {
      throw new CsvParseError(`Quote not closed: the quote opened in record ${this.quoteLine} is never closed`, 'CSV_QUOTE_NOT_CLOSED', this.quoteLine);
    }
    if (!this.lineEmpty) {
      this.record.push(this.field);
      out.push(this.record);
    }
    this.record = [];
    this.field = '';
    this.lineEmpty = true;
    return out;
  }

  /**
   * The length of the record delimiter at s[k] (0: none there), or -1 when the characters after
   * the end of `s` decide. Finds the delimiter on first sight.
   */
  private newlineAt(s: string, k: number, atEnd: boolean): number {
    const c = s.charCodeAt(k);
    if (c !== CR && c !== LF) return 0;
    const next = k + 1 < s.length ? s.charCodeAt(k + 1) : -1;
    // A CR at the end of the chunk: whether an LF follows decides, where the delimiter may be `\r\n`.
    if (c === CR && next === -1 && !atEnd && (this.newline === Newline.Unknown || this.newline === Newline.CrLf)) return -1;
    if (this.newline === Newline.Unknown) this.newline = newlineKind(c, next);
    return newlineLength(this.newline, c, next);
  }

  private scan(text: string, atEnd: boolean, out: string[][]): void {
    this.carry = '';
    let s = text;
    if (!this.started) {
      if (s.length === 0 && !atEnd) return;
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const delimiter = this.delimiter.charCodeAt(0);
    const n = s.length;
    let quoting = this.quoting;
    let fieldEmpty = this.fieldEmpty;
    let lineEmpty = this.lineEmpty;
    let field = this.field;
    /** Where the current field's text not yet in `field` starts. */
    let from = 0;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (quoting) {
        if (c !== QUOTE) continue;
        if (i + 1 >= n) {
          if (!atEnd) break; // the next character decides
          field += s.slice(from, i);
          from = i + 1;
          quoting = false;
          continue;
        }
        const d = s.charCodeAt(i + 1);
        if (d === QUOTE) {
          field += s.slice(from, i + 1); // "" inside quotes: one quote
          from = i + 2;
          i++;
          continue;
        }
        let ends = d === delimiter;
        if (!ends) {
          const length = this.newlineAt(s, i + 1, atEnd);
          if (length < 0) break;
          ends = length > 0;
        }
        field += s.slice(from, i);
        from = i + 1;
        quoting = false;
        fieldEmpty = false;
        // Followed by other text: the field is its text as written, up to the next delimiter.
        if (!ends) field = `"${field}"`;
        continue;
      }
      if (c === CR || c === LF) {
        const length = this.newlineAt(s, i, atEnd);
        if (length < 0) break;
        if (length > 0) {
          if (!lineEmpty) {
            this.record.push(field + s.slice(from, i));
            out.push(this.record);
            this.record = [];
          }
          this.lines++;
          field = '';
          this.recordChars = 0;
          fieldEmpty = true;
          lineEmpty = true;
          i += length - 1;
          from = i + 1;
          continue;
        }
      }
      lineEmpty = false;
      if (c === delimiter) {
        const value = field + s.slice(from, i);
        this.record.push(value);
        // The delimiter counts too: a row of a million empty cells is a million characters.
        this.recordChars += value.length + 1;
        if (this.recordChars > this.maxRecordChars) this.tooLong();
        field = '';
        from = i + 1;
        fieldEmpty = true;
      } else if (c === QUOTE && fieldEmpty) {
        quoting = true;
        this.quoteLine = this.lines + 1;
        from = i + 1;
      } else fieldEmpty = false;
    }
    // The rest of the chunk: a field's text so far, and what the next chunk decides.
    if (i < n) {
      field += s.slice(from, i);
      this.carry = s.slice(i);
    } else field += s.slice(from);
    this.quoting = quoting;
    this.fieldEmpty = fieldEmpty;
    this.lineEmpty = lineEmpty;
    this.field = field;
    if (this.recordChars + field.length > this.maxRecordChars) this.tooLong();
  }

  private tooLong(): never {
    throw new CsvParseError(`Record ${this.lines + 1} is longer than ${this.maxRecordChars} characters`, 'CSV_MAX_RECORD_SIZE', this.lines + 1);
  }
}
