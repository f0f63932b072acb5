import type { CellValue, Row } from '../reading/table-source';

/**
 * CSV cells arrive as text. In the XLSX output a plain decimal number becomes a number (so sums
 * and filters work), but anything a number conversion would damage stays text: leading zeros
 * (`007`, postal and company codes), more than 15 significant digits (IDs), `+82…`, `1e5`.
 */
export function typedFromCsv(text: string): CellValue {
  if (text === '') return null;
  if (/^-?(0|[1-9]\d{0,14})(\.\d{1,15})?$/.test(text) && significantDigits(text) <= 15) return Number(text);
  return text;
}

function significantDigits(text: string): number {
  return text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length;
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
