import { parseCoordinate } from './coordinates';
import type { CellValue, Row } from '../reading/table-source';
import type { Point } from './crs-verdict';

/** The cell as a coordinate number (text trimmed, as the conversion reads it), else null. */
export function numberIn(cell: CellValue | undefined): number | null {
  const parsed = parseCoordinate(cell ?? null);
  return 'value' in parsed ? parsed.value : null;
}

/** The (x, y) pairs of the rows where both cells are numbers. */
export function pointsIn(rows: readonly Row[], xIndex: number, yIndex: number): Point[] {
  const points: Point[] = [];
  for (const row of rows) {
    const x = numberIn(row[xIndex]);
    const y = numberIn(row[yIndex]);
    if (x !== null && y !== null) points.push([x, y]);
  }
  return points;
}
