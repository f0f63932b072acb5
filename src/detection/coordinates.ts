import type { CellValue, ChunkRows } from '../reading/table-source';

export type ParsedCoordinate = { value: number } | { problem: string };

/**
 * What a coordinate cell's text must look like once trimmed: a plain decimal, maybe with an
 * exponent. Written so that each character can be matched one way only (the digits after a point
 * only after the point): `\d+\.?\d*` let the engine split a long run of digits between the two
 * in every way before failing, quadratic in the length (three 50,000-digit cells held the process
 * for 35 s). Text longer than any coordinate is rejected before the pattern is tried.
 */
const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const MAX_NUMBER_TEXT = 64;
const isNumberText = (text: string) => text.length <= MAX_NUMBER_TEXT && NUMBER_TEXT.test(text);

/**
 * Reads one coordinate cell: numbers as they are, text trimmed (exports often pad values with
 * spaces) and parsed strictly, so `12a` or `1.2.3` are reported instead of half-read.
 */
export function parseCoordinate(cell: CellValue): ParsedCoordinate {
  if (cell === null || cell === undefined) return { problem: 'empty' };
  if (typeof cell === 'number') return Number.isFinite(cell) ? { value: cell } : { problem: `${cell} is not a finite number` };
  if (typeof cell === 'boolean' || cell instanceof Date) return { problem: `${String(cell)} is not a number` };
  const text = cell.trim();
  if (text === '') return { problem: 'empty' };
  if (!isNumberText(text)) return { problem: `"${text.slice(0, 40)}" is not a number` };
  const value = Number(text);
  return Number.isFinite(value) ? { value } : { problem: `"${text.slice(0, 40)}" is not a finite number` };
}

export type PointReading = { x: number; y: number; invalidReason: null } | { x: null; y: null; invalidReason: string };

/**
 * Turns a row's two cells into coordinates or the reason they are unusable. Only EPSG:4326 has a
 * range we can check here; a projected CRS's domain is checked by PostGIS when it transforms.
 *
 * Runs for every row of a conversion, so the usual case (two cells that are plain numbers, in
 * range) is read without building the intermediate results; anything else goes through
 * parseCoordinate, which accepts and rejects exactly what this path would, and says why.
 */
export function readPoint(xCell: CellValue, yCell: CellValue, srid: number): PointReading {
  const x = plainNumber(xCell);
  const y = plainNumber(yCell);
  if (usable(x, y, srid)) return { x, y, invalidReason: null };
  return readPointExplained(xCell, yCell, srid);
}

/** A cell's number when it is one or is untrimmed text of one; NaN for everything else. */
function plainNumber(cell: CellValue): number {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'string' && isNumberText(cell)) return Number(cell);
  return NaN;
}

/** Finite, and in range where the system has one we know (see readPointExplained). */
function usable(x: number, y: number, srid: number): boolean {
  return Number.isFinite(x) && Number.isFinite(y) && (srid !== 4326 || (Math.abs(x) <= 180 && Math.abs(y) <= 90));
}

function readPointExplained(xCell: CellValue, yCell: CellValue, srid: number): PointReading {
  const x = parseCoordinate(xCell);
  const y = parseCoordinate(yCell);
  const problems: string[] = [];
  if ('problem' in x) problems.push(`x ${x.problem}`);
  if ('problem' in y) problems.push(`y ${y.problem}`);
  if ('value' in x && 'value' in y) {
    if (srid === 4326) {
      if (Math.abs(x.value) > 180) problems.push(`longitude ${x.value} is outside ±180`);
      if (Math.abs(y.value) > 90) problems.push(`latitude ${y.value} is outside ±90`);
    }
    if (problems.length === 0) return { x: x.value, y: y.value, invalidReason: null };
  }
  return { x: null, y: null, invalidReason: problems.join('; ') };
}

/**
 * The coordinates of a chunk of rows, column-wise, as the geocoder takes them (see ChunkInput):
 * the same reading as readPoint, row by row, without an object per row.
 */
export function readChunkCoordinates(
  rows: ChunkRows,
  xIndex: number,
  yIndex: number,
  srid: number,
): { xs: Float64Array; ys: Float64Array; invalidReasons: Map<number, string> } {
  const xs = new Float64Array(rows.length);
  const ys = new Float64Array(rows.length);
  const invalidReasons = new Map<number, string>();
  for (let i = 0; i < rows.length; i++) {
    const xCell = rows.cell(i, xIndex);
    const yCell = rows.cell(i, yIndex);
    const x = plainNumber(xCell);
    const y = plainNumber(yCell);
    if (usable(x, y, srid)) {
      xs[i] = x;
      ys[i] = y;
      continue;
    }
    const point = readPointExplained(xCell, yCell, srid);
    if (point.invalidReason === null) {
      xs[i] = point.x;
      ys[i] = point.y;
    } else invalidReasons.set(i, point.invalidReason);
  }
  return { xs, ys, invalidReasons };
}
