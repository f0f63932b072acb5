import type { CellValue, Row } from '../../reading/table-source';
import { isPlainNumber } from '../cell-values';

/**
 * SpreadsheetML for the rows of a worksheet. This is the hot loop of the write phase (every
 * output cell of a million-row file passes here), so it avoids per-cell objects: one template
 * string per cell, XML escaping only for text that needs it, and each row encoded into a Buffer
 * block as soon as it is built (see utf8-blocks.ts).
 */

/** Style indexes in styles.xml (see package-parts.ts). */
export const STYLE_BOLD = 1;
export const STYLE_DATE = 2;

const letters: string[] = [];
/** A, B, …, Z, AA, …: cached, the same few columns are asked for on every row. */
export function columnLetter(index: number): string {
  let cached = letters[index];
  if (cached === undefined) {
    let n = index + 1;
    cached = '';
    while (n > 0) {
      const r = (n - 1) % 26;
      cached = String.fromCharCode(65 + r) + cached;
      n = Math.floor((n - 1) / 26);
    }
    letters[index] = cached;
  }
  return cached;
}

const NEEDS_ESCAPE = /[&<>"\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
/** Characters XML 1.0 cannot carry at all are dropped; the rest escaped. */
export function escapeXml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Excel's day number (1900 date system) for a JavaScript date, taken as UTC like exceljs does. */
function excelSerial(date: Date): number {
  return date.getTime() / 86_400_000 + 25_569;
}

function cellXml(ref: string, value: CellValue, style: number): string {
  const s = style ? ` s="${style}"` : '';
  if (typeof value === 'string') {
    // Leading/trailing spaces survive only with xml:space="preserve".
    const space = value.length > 0 && (value.charCodeAt(0) === 32 || value.charCodeAt(value.length - 1) === 32) ? ' xml:space="preserve"' : '';
    return `<c r="${ref}"${s} t="inlineStr"><is><t${space}>${escapeXml(value)}</t></is></c>`;
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return `<c r="${ref}"${s}><v>${value}</v></c>`;
    return `<c r="${ref}"${s} t="inlineStr"><is><t>${value}</t></is></c>`;
  }
  if (typeof value === 'boolean') return `<c r="${ref}"${s} t="b"><v>${value ? 1 : 0}</v></c>`;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return '';
    return `<c r="${ref}" s="${STYLE_DATE}"><v>${excelSerial(value)}</v></c>`;
  }
  return '';
}

/**
 * A cell of CSV text: a plain decimal number (see isPlainNumber) is written as a number, its text
 * as the value itself (the same double for any reader, without a round trip through Number and
 * back, which was a sixth of the write phase); an empty cell is left out.
 */
function csvCellXml(ref: string, text: string, style: number): string {
  if (text === '') return '';
  if (!isPlainNumber(text)) return cellXml(ref, text, style);
  // `-0` is written `0`, as the number it is read as would be.
  const value = text.charCodeAt(0) === 45 && Number(text) === 0 ? '0' : text;
  return style ? `<c r="${ref}" s="${style}"><v>${value}</v></c>` : `<c r="${ref}"><v>${value}</v></c>`;
}

/**
 * One `<row>`: the row's own cells, then (for converted rows) the appended ones starting at
 * column `appendedFrom`, so they line up even when the row is shorter than its header. With
 * `csvText` the row's own text cells are CSV text, typed as isPlainNumber says.
 */
export function rowXml(rowNumber: number, values: Row, appended: CellValue[] | null, appendedFrom: number, style = 0, csvText = false): string {
  let xml = `<row r="${rowNumber}">`;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    xml += csvText && typeof v === 'string' ? csvCellXml(columnLetter(i) + rowNumber, v, style) : cellXml(columnLetter(i) + rowNumber, v, style);
  }
  if (appended) {
    for (let i = 0; i < appended.length; i++) {
      const v = appended[i];
      if (v !== null && v !== undefined) xml += cellXml(columnLetter(appendedFrom + i) + rowNumber, v, style);
    }
  }
  return xml + '</row>';
}
