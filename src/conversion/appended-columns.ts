import type { BoundaryCatalog } from '../boundaries/catalog';
import type { PointResult } from '../geocode/chunk-geocoder';
import { resultFromCode } from '../geocode/result-codes';
import type { CellValue } from '../reading/table-source';

/**
 * The columns every converted row gets, after its own: one per boundary level of the set (시도,
 * 시군구, 읍면동, 리 where the set has it), 주소 (the names joined by spaces), 코드 (the deepest
 * matched code), 결과 (OK, NEAREST, NO_MATCH, INVALID) and 비고 (why a row is INVALID, or how far
 * a NEAREST match lies outside its polygon).
 */
export class AppendedColumns {
  readonly header: string[];

  constructor(private readonly catalog: BoundaryCatalog) {
    this.header = [...catalog.levels.map((l) => l.name), '주소', '코드', '결과', '비고'];
  }

  valuesFor(result: PointResult): CellValue[] {
    const entry = result.boundaryId === null ? undefined : this.catalog.get(result.boundaryId);
    const levels = this.catalog.levels.map((l) => entry?.names[l.level] ?? null);
    return [...levels, entry?.address ?? null, entry?.code ?? null, resultFromCode(result.result), noteFor(result)];
  }
}

/** The 비고 column: why a row is INVALID, or how far a NEAREST match lies outside its polygon. */
export function noteFor(result: PointResult): string | null {
  if (result.reason) return result.reason;
  if (result.distanceMeters !== null) return `${Math.round(result.distanceMeters)} m outside the nearest boundary`;
  return null;
}
