/**
 * What CsvTextParser (reading) and CsvRecordCounter (counting) must agree on, in one place: the
 * characters that mean something in CSV (the same code in UTF-16 text and in UTF-8 or CP949
 * bytes), and the record delimiter, found on the first line as csv-parse finds it (`\r\n` before
 * `\r`).
 */
export const QUOTE = 0x22;
export const CR = 0x0d;
export const LF = 0x0a;

/** The record delimiter: unknown until the first `\n`, `\r\n` or `\r` outside quotes. */
export const enum Newline {
  Unknown,
  Lf,
  CrLf,
  Cr,
}

/** The record delimiter of a text whose first CR or LF outside quotes is `c`; `next` is what follows it (-1: the end). */
export function newlineKind(c: number, next: number): Newline {
  if (c === LF) return Newline.Lf;
  return next === LF ? Newline.CrLf : Newline.Cr;
}

/** The length of the record delimiter `newline` at `c` (0: `c` is text there); `next` is what follows (-1: the end). */
export function newlineLength(newline: Newline, c: number, next: number): number {
  switch (newline) {
    case Newline.Lf:
      return c === LF ? 1 : 0;
    case Newline.Cr:
      return c === CR ? 1 : 0;
    case Newline.CrLf:
      return c === CR && next === LF ? 2 : 0;
    default:
      return 0;
  }
}
