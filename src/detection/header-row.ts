import { columnsFromHeader, headerText } from './columns';
import type { Row } from '../reading/table-source';
import { numberIn } from './numbers';

function filled(row: Row): number {
  return row.filter((c) => headerText(c) !== '').length;
}

/** A header or title: some filled cells, all of them text that is not a number. */
export function looksLikeHeader(row: Row): boolean {
  const cells = row.filter((c) => headerText(c) !== '');
  return cells.length > 0 && cells.every((c) => typeof c === 'string' && numberIn(c) === null);
}

/** The first row whose cells name both an x and a y column (경도/위도, X좌표/Y좌표, lon/lat …). */
export function rowWithCoordinateNames(rows: readonly Row[]): { row: number; xIndex: number; yIndex: number } | null {
  for (let i = 0; i < rows.length; i++) {
    const columns = columnsFromHeader(rows[i].map(headerText));
    if (columns) return { row: i, ...columns };
  }
  return null;
}

/**
 * The header of a table whose coordinates were found by position or by value: the nearest
 * header-like row above the first row with numbers in both coordinate columns. Title rows further
 * up are left above it; a table that starts with data has none (-1).
 */
export function headerAboveData(rows: readonly Row[], xIndex: number, yIndex: number): number {
  const firstData = rows.findIndex((r) => numberIn(r[xIndex]) !== null && numberIn(r[yIndex]) !== null);
  for (let i = (firstData < 0 ? rows.length : firstData) - 1; i >= 0; i--) {
    if (looksLikeHeader(rows[i])) return i;
  }
  return -1;
}

/** For a sheet without coordinates, only to report what it holds: the first row with two filled cells. */
export function probableHeader(rows: readonly Row[]): number {
  const index = rows.findIndex((r) => filled(r) >= 2);
  return index < 0 ? -1 : index;
}
