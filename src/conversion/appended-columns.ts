import type { BoundaryCatalog, CatalogEntry } from '../boundaries/catalog';
import type { BoundaryLevelInfo } from '../entities/BoundarySet';
import type { GeocodedChunk, PointResult } from '../geocode/chunk-geocoder';
import { resultFromCode } from '../geocode/result-codes';
import type { CellValue } from '../reading/table-source';
import { distanceNote, reasonNote, resultWord, type OutputLanguage } from './output-words';
import type { ChunkResults } from './resume-ledger';

/** What an appended column is called when the input already has a column of that name. */
const DISTINCT_SUFFIX = '(행정구역)';
/** The column that says which boundary versions a row used, when a dated set is used by date. */
export const BASIS_COLUMN = '경계기준';

/**
 * One boundary set's columns: its versions' catalogs (one for an undated set) and, for every set
 * after the first, the label its column names carry (`읍면동(법정동)`).
 */
export interface ColumnGroup {
  catalogs: BoundaryCatalog[];
  label: string | null;
}

/**
 * The columns every converted row gets, after its own: one per boundary level of the set (시도,
 * 시군구, 읍면동, 리 where the set has it), 주소 (the names joined by spaces), 코드 (the deepest
 * matched code), 결과 (정상, 근접, 해당없음, 좌표오류; OK, NEAREST, … in English) and 비고 (why a
 * row's coordinates are unusable, or how far a NEAREST match lies outside its polygon).
 */
export class AppendedColumns {
  readonly header: string[];
  private readonly groups: { catalogs: BoundaryCatalog[]; levels: BoundaryLevelInfo[] }[];

  /**
   * One set (a catalog, or the versions of a dated one), or several: each further set adds its
   * levels, 주소, 코드 and 결과 named with its label. `basis` adds the 경계기준 column.
   */
  constructor(
    sets: BoundaryCatalog | ColumnGroup[],
    private readonly language: OutputLanguage = 'KO',
    private readonly basis = false,
  ) {
    const groups = Array.isArray(sets) ? sets : [{ catalogs: [sets], label: null }];
    // A dated set's versions may differ in depth: its columns are those of its deepest version.
    this.groups = groups.map((g) => ({ catalogs: g.catalogs, levels: g.catalogs.reduce((a, c) => (c.levels.length > a.length ? c.levels : a), [] as BoundaryLevelInfo[]) }));
    this.header = [...this.groups[0].levels.map((l) => l.name), '주소', '코드', '결과', '비고'];
    groups.slice(1).forEach((g, k) => {
      const label = `(${g.label ?? `경계${k + 2}`})`;
      this.header.push(...this.groups[k + 1].levels.map((l) => l.name + label), `주소${label}`, `코드${label}`, `결과${label}`);
    });
    if (basis) this.header.push(BASIS_COLUMN);
  }

  /**
   * The appended names for a sheet with this input header: a name the input already uses gets
   * DISTINCT_SUFFIX (then a number), so no output has two columns of the same name. `renamed`
   * lists what was changed, for the conversion's notes.
   */
  headerFor(inputHeader: string[]): { names: string[]; renamed: { from: string; to: string }[] } {
    const taken = new Set(inputHeader.map((h) => h.trim()).filter(Boolean));
    const renamed: { from: string; to: string }[] = [];
    const names = this.header.map((name) => {
      let chosen = name;
      if (taken.has(chosen)) {
        chosen = `${name}${DISTINCT_SUFFIX}`;
        for (let n = 2; taken.has(chosen); n++) chosen = `${name}(행정구역 ${n})`;
        renamed.push({ from: name, to: chosen });
      }
      taken.add(chosen);
      return chosen;
    });
    return { names, renamed };
  }

  /** Row i's values. Called once per row: plain loops, no closures or spread (a million rows' garbage otherwise). */
  valuesFor(results: ChunkResults, i: number): CellValue[] {
    const values: CellValue[] = [];
    for (let g = 0; g < this.groups.length; g++) {
      const group = this.groups[g];
      const chunk = results.sets[g];
      const id = chunk.boundaryIds[i];
      const entry = id === 0 ? undefined : entryOf(group.catalogs, id);
      for (let l = 0; l < group.levels.length; l++) values.push(entry?.names[group.levels[l].level] ?? null);
      values.push(entry?.address ?? null, entry?.code ?? null, resultWord(resultFromCode(chunk.results[i]), this.language));
      if (g === 0) values.push(noteAt(chunk, i, this.language));
    }
    if (this.basis) values.push(results.basis?.[i] ?? null);
    return values;
  }

  /**
   * A number shared by exactly the rows whose values (valuesFor) are the same: with one set and no
   * 경계기준, those of one boundary and one result without a note (a writer keeps their encoded form
   * under it, see AppendedCells.key); null for any other row.
   */
  keyFor(results: ChunkResults, i: number): number | null {
    if (this.groups.length !== 1 || this.basis) return null;
    const chunk = results.sets[0];
    if ((chunk.reasons.size > 0 && chunk.reasons.has(i)) || (chunk.distances.size > 0 && chunk.distances.has(i))) return null;
    // Result codes are 0..3 (result-codes.ts).
    return chunk.boundaryIds[i] * 4 + chunk.results[i];
  }
}

/** A boundary of whichever version of the set holds it (ids are unique across versions). */
function entryOf(catalogs: BoundaryCatalog[], id: number): CatalogEntry | undefined {
  for (const catalog of catalogs) {
    const entry = catalog.get(id);
    if (entry) return entry;
  }
  return undefined;
}

/** The 비고 column: why a row is INVALID, or how far a NEAREST match lies outside its polygon. */
export function noteFor(result: PointResult, language: OutputLanguage = 'KO'): string | null {
  return noteOf(result.reason, result.distanceMeters, language);
}

/** noteFor of point i of a chunk, without a PointResult per row. */
function noteAt(chunk: GeocodedChunk, i: number, language: OutputLanguage): string | null {
  if (chunk.reasons.size === 0 && chunk.distances.size === 0) return null;
  return noteOf(chunk.reasons.get(i), chunk.distances.get(i), language);
}

function noteOf(reason: string | null | undefined, distanceMeters: number | null | undefined, language: OutputLanguage): string | null {
  if (reason) return reasonNote(reason, language);
  if (distanceMeters != null) return distanceNote(distanceMeters, language);
  return null;
}

/** The note that says an appended column was renamed. */
export function renamedColumnNote(sheet: string, from: string, to: string): string {
  return `시트 "${sheet}": 입력에 이미 "${from}" 열이 있어 덧붙인 열의 이름을 "${to}"(으)로 했습니다.`;
}
