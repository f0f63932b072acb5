import { UserInputError } from '../errors';
import type { CellValue } from '../reading/table-source';

/** Header spellings that name the x (longitude/easting) and y (latitude/northing) columns. */
const X_NAMES = ['x', 'lon', 'lng', 'long', 'longitude', '경도', 'x좌표', 'xcoord', 'xcoordinate', 'pointx', 'coordx', 'easting', '동경'];
const Y_NAMES = ['y', 'lat', 'latitude', '위도', 'y좌표', 'ycoord', 'ycoordinate', 'pointy', 'coordy', 'northing', '북위'];

export function headerText(value: CellValue): string {
  if (value === null || value === undefined) return '';
  return value instanceof Date ? value.toISOString() : String(value).trim();
}

/** Lower case without spaces, underscores, dots or brackets: `X 좌표`, `x_coord`, `경도(X)` compare equal to their bare forms. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[\s_.\-()[\]]/g, '');
}

function matchesAny(name: string, candidates: string[]): boolean {
  const n = normalize(name);
  if (!n) return false;
  return candidates.includes(n) || candidates.some((c) => c.length > 1 && n.replace(/\(.*\)$/, '') === c);
}

/** Finds the x and y columns by header name alone; null when either is missing. */
export function columnsFromHeader(header: string[]): { xIndex: number; yIndex: number } | null {
  const xIndex = header.findIndex((h) => matchesAny(h, X_NAMES));
  const yIndex = header.findIndex((h) => matchesAny(h, Y_NAMES));
  return xIndex >= 0 && yIndex >= 0 && xIndex !== yIndex ? { xIndex, yIndex } : null;
}

/** A column the user named by its header text: exact, then case- and space-insensitive; -1 when none. */
export function findColumnByName(spec: string, header: string[]): number {
  const wanted = spec.trim();
  const index = header.findIndex((h) => h === wanted);
  if (index >= 0) return index;
  return header.findIndex((h) => normalize(h) === normalize(wanted) && normalize(h) !== '');
}

/** A column the user named by position: a spreadsheet letter (`E`) or a 1-based number (`5`); -1 otherwise. */
export function findColumnByPosition(spec: string): number {
  const wanted = spec.trim();
  if (/^[A-Za-z]{1,3}$/.test(wanted)) return letterToIndex(wanted);
  if (/^[1-9]\d*$/.test(wanted)) return Number(wanted) - 1;
  return -1;
}

/**
 * Resolves a column the user named: header text first (exact, then case- and space-insensitive),
 * then a spreadsheet letter (`E`), then a 1-based position (`5`).
 */
export function resolveColumnSpec(spec: string, header: string[], role: 'xColumn' | 'yColumn' | 'dateColumn'): number {
  let index = findColumnByName(spec, header);
  // A letter or number may point past the header: data rows can be wider than their header.
  if (index < 0) index = findColumnByPosition(spec);
  if (index < 0) {
    const available = header.map((h, i) => `${indexToLetter(i)}${h ? ` "${h}"` : ''}`).join(', ');
    throw new UserInputError(
      `${role} "${spec}" matches no column. Use a header text, a column letter or a 1-based number; the columns are: ${available}.`,
      'UNKNOWN_COLUMN',
    );
  }
  return index;
}

/** How the API labels a column: `주소 (E)`, or `F` when it has no header. */
export function columnLabel(header: string[], index: number): string {
  const text = header[index];
  return text ? `${text} (${indexToLetter(index)})` : indexToLetter(index);
}

/** How messages and notes name a column: `"주소" (E)`, or `column F` when it has no header. */
export function describeColumn(header: string[], index: number): string {
  const text = header[index];
  return text ? `"${text}" (${indexToLetter(index)})` : `column ${indexToLetter(index)}`;
}

export function letterToIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export function indexToLetter(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}
