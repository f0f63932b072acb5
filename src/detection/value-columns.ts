import type { Row } from '../reading/table-source';
import { ALL_CANDIDATES, MIN_PROJECTED_MAGNITUDE, type CrsCandidate } from './crs-candidates';
import { judgeCrs, type CrsVerdict } from './crs-verdict';
import type { Point } from './crs-verdict';
import { numberIn } from './numbers';

/**
 * Without a header that names them, two columns are taken as coordinates only when the values
 * clearly say so: at least this share of the rows with both numbers lies in one system's range.
 */
const MIN_SHARE = 0.8;
/** Columns looked at for coordinates by value: a header-less table has them near the left. */
const MAX_SCANNED_COLUMNS = 256;
/** Numeric columns paired with each other (the pairs grow with their square). */
const MAX_PAIRED_COLUMNS = 32;

export interface ColumnsByValues {
  xIndex: number;
  yIndex: number;
  verdict: Exclude<CrsVerdict, { kind: 'unknown' }>;
}

/**
 * Finds the coordinate columns from the values alone: of every ordered pair of numeric columns,
 * the one whose points fit a coordinate system over Korea. Lon/lat and recognisable projected
 * systems beat ambiguous ones; then the better fit, then neighbouring columns, then the leftmost.
 * Trying both orders of each pair is what notices a file in (y, x) order.
 *
 * Each cell is parsed once, and only the first MAX_SCANNED_COLUMNS columns are read and the
 * first MAX_PAIRED_COLUMNS numeric ones paired, so the work is bounded whatever the width of the
 * file (400 numeric columns took 57 s when every pair re-parsed every row).
 */
export function findColumnsByValues(rows: readonly Row[], candidates: readonly CrsCandidate[] = ALL_CANDIDATES): ColumnsByValues | null {
  const width = Math.min(MAX_SCANNED_COLUMNS, rows.reduce((w, r) => Math.max(w, r.length), 0));
  const values: (number | null)[][] = Array.from({ length: width }, () => new Array(rows.length).fill(null));
  const perRow = new Array<number>(rows.length).fill(0);
  const perColumn = new Array<number>(width).fill(0);
  rows.forEach((row, r) => {
    for (let c = 0; c < Math.min(width, row.length); c++) {
      const v = numberIn(row[c]);
      if (v === null) continue;
      values[c][r] = v;
      perRow[r]++;
      perColumn[c]++;
    }
  });
  const rowsWithNumbers = perRow.filter((n) => n >= 2).length;
  // A pair that is filled in only a few rows is not the table's coordinates, so neither is a
  // column that is.
  const numeric: number[] = [];
  for (let c = 0; c < width && numeric.length < MAX_PAIRED_COLUMNS; c++) {
    if (perColumn[c] > 0 && perColumn[c] >= rowsWithNumbers / 2) numeric.push(c);
  }

  const fewestPoints = Math.max(1, rowsWithNumbers / 2);
  const ranges = new Map(numeric.map((c) => [c, candidates.map((k) => inRange(values[c], k))]));
  // Only pairs where some candidate could hold MIN_SHARE of the points are judged: each column
  // must have that many values in the candidate's range (and, for a projected system, one of the
  // two values of a point must be metres, not a small number).
  const couldFit = (x: number, y: number) =>
    candidates.some((k, i) => {
      const rx = ranges.get(x)![i];
      const ry = ranges.get(y)![i];
      const need = MIN_SHARE * fewestPoints;
      return rx.x >= need && ry.y >= need && (k.srid === 4326 || rx.xLarge + ry.yLarge >= need);
    });

  let best: (ColumnsByValues & { rank: number[] }) | null = null;
  for (const xIndex of numeric) {
    for (const yIndex of numeric) {
      if (xIndex === yIndex || !couldFit(xIndex, yIndex)) continue;
      const points = pairedPoints(values[xIndex], values[yIndex]);
      if (points.length === 0 || points.length < rowsWithNumbers / 2) continue;
      const verdict = judgeCrs(points, { minShare: MIN_SHARE, allowSwap: false, candidates });
      if (verdict.kind === 'unknown') continue;
      const rank = [
        verdict.kind === 'known' ? (verdict.candidate.srid === 4326 ? 0 : 1) : 2,
        verdict.kind === 'known' ? -verdict.share : 0,
        Math.abs(xIndex - yIndex) === 1 ? 0 : 1,
        -points.length,
        Math.min(xIndex, yIndex),
        xIndex < yIndex ? 0 : 1,
      ];
      if (!best || lexLess(rank, best.rank)) best = { xIndex, yIndex, verdict, rank };
    }
  }
  return best && { xIndex: best.xIndex, yIndex: best.yIndex, verdict: best.verdict };
}

/** How many of a column's values lie in a candidate's x and y ranges (and are metres-sized there). */
function inRange(column: (number | null)[], k: CrsCandidate): { x: number; y: number; xLarge: number; yLarge: number } {
  const [minX, minY, maxX, maxY] = k.box;
  const out = { x: 0, y: 0, xLarge: 0, yLarge: 0 };
  for (const v of column) {
    if (v === null) continue;
    const large = Math.abs(v) >= MIN_PROJECTED_MAGNITUDE;
    if (v >= minX && v <= maxX) {
      out.x++;
      if (large) out.xLarge++;
    }
    if (v >= minY && v <= maxY) {
      out.y++;
      if (large) out.yLarge++;
    }
  }
  return out;
}

function pairedPoints(xs: (number | null)[], ys: (number | null)[]): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x !== null && y !== null) points.push([x, y]);
  }
  return points;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}
