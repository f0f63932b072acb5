import type { Row } from '../reading/table-source';
import { ALL_CANDIDATES, type CrsCandidate } from './crs-candidates';
import { judgeCrs, type CrsVerdict } from './crs-verdict';
import { numberIn, pointsIn } from './numbers';

/**
 * Without a header that names them, two columns are taken as coordinates only when the values
 * clearly say so: at least this share of the rows with both numbers lies in one system's range.
 */
const MIN_SHARE = 0.8;

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
 */
export function findColumnsByValues(rows: readonly Row[], candidates: readonly CrsCandidate[] = ALL_CANDIDATES): ColumnsByValues | null {
  const width = Math.max(0, ...rows.map((r) => r.length));
  const numeric: number[] = [];
  for (let c = 0; c < width; c++) if (rows.some((r) => numberIn(r[c]) !== null)) numeric.push(c);
  const rowsWithNumbers = rows.filter((r) => r.filter((c) => numberIn(c) !== null).length >= 2).length;

  let best: (ColumnsByValues & { rank: number[] }) | null = null;
  for (const xIndex of numeric) {
    for (const yIndex of numeric) {
      if (xIndex === yIndex) continue;
      const points = pointsIn(rows, xIndex, yIndex);
      // A pair that is filled in only a few rows is not the table's coordinates.
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

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}
