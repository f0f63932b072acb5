import type { CellValue, Row } from '../reading/table-source';

/**
 * CSV cells arrive as text. In the XLSX output a plain decimal number becomes a number (so sums
 * and filters work), but anything a number conversion would damage stays text: leading zeros
 * (`007`, postal and company codes), more than 15 significant digits (IDs), `+82…`, `1e5`.
 * This says which texts are plain numbers; the XLSX writer writes their text as the value.
 */
export function isPlainNumber(text: string): boolean {
  const n = text.length;
  // By hand rather than a regular expression: every CSV cell of an XLSX output passes here, and
  // this scan took a fifth of the time of /^-?(0|[1-9]\d{0,14})(\.\d{1,15})?$/ plus the digit count.
  let i = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const intStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  const intDigits = i - intStart;
  if (intDigits === 0 || intDigits > 15 || (intDigits > 1 && text.charCodeAt(intStart) === 48 /* 0 */)) return false;
  let fracDigits = 0;
  if (i < n) {
    if (text.charCodeAt(i) !== 46 /* . */) return false;
    const fracStart = ++i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    fracDigits = i - fracStart;
    if (fracDigits === 0 || fracDigits > 15 || i !== n) return false;
  }
  // Significant digits: with a leading `0.` they are the fraction's (at most 15) less its leading zeros.
  const zeroInteger = intDigits === 1 && text.charCodeAt(intStart) === 48;
  if (!zeroInteger && intDigits + fracDigits > 15) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Exports pad values with spaces (`127.37, 36.96`). The coordinate cells are read trimmed, so
 * they are written trimmed too (and become numbers where text is typed); other cells keep their
 * spaces, which may matter to the user.
 */
export function trimCoordinates(row: Row, columns: { xIndex: number | null; yIndex: number | null }): Row {
  const { xIndex, yIndex } = columns;
  const needsTrim = (i: number | null) => i !== null && typeof row[i] === 'string' && (row[i] as string).trim() !== row[i];
  if (!needsTrim(xIndex) && !needsTrim(yIndex)) return row;
  return row.map((cell, i) => ((i === xIndex || i === yIndex) && typeof cell === 'string' ? cell.trim() : cell));
}

/** Width in Excel character units of a cell's text, counting Hangul and other wide characters twice. */
export function displayWidth(value: CellValue): number {
  if (value === null || value === undefined) return 0;
  const text = value instanceof Date ? '2024-01-01 00:00:00' : String(value);
  let width = 0;
  for (const ch of text) width += ch.charCodeAt(0) > 0x1100 ? 2 : 1;
  return width;
}
