import type { BoundaryCatalog } from '../boundaries/catalog';
import type { PointResult } from '../geocode/chunk-geocoder';
import { resultFromCode } from '../geocode/result-codes';
import type { CellValue } from '../reading/table-source';
import { distanceNote, reasonNote, resultWord, type OutputLanguage } from './output-words';

/** What an appended column is called when the input already has a column of that name. */
const DISTINCT_SUFFIX = '(행정구역)';

/**
 * The columns every converted row gets, after its own: one per boundary level of the set (시도,
 * 시군구, 읍면동, 리 where the set has it), 주소 (the names joined by spaces), 코드 (the deepest
 * matched code), 결과 (정상, 근접, 해당없음, 좌표오류; OK, NEAREST, … in English) and 비고 (why a
 * row's coordinates are unusable, or how far a NEAREST match lies outside its polygon).
 */
export class AppendedColumns {
  readonly header: string[];

  constructor(
    private readonly catalog: BoundaryCatalog,
    private readonly language: OutputLanguage = 'KO',
  ) {
    this.header = [...catalog.levels.map((l) => l.name), '주소', '코드', '결과', '비고'];
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

  valuesFor(result: PointResult): CellValue[] {
    const entry = result.boundaryId === null ? undefined : this.catalog.get(result.boundaryId);
    const levels = this.catalog.levels.map((l) => entry?.names[l.level] ?? null);
    return [...levels, entry?.address ?? null, entry?.code ?? null, resultWord(resultFromCode(result.result), this.language), noteFor(result, this.language)];
  }
}

/** The 비고 column: why a row is INVALID, or how far a NEAREST match lies outside its polygon. */
export function noteFor(result: PointResult, language: OutputLanguage = 'KO'): string | null {
  if (result.reason) return reasonNote(result.reason, language);
  if (result.distanceMeters !== null) return distanceNote(result.distanceMeters, language);
  return null;
}

/** The note that says an appended column was renamed. */
export function renamedColumnNote(sheet: string, from: string, to: string): string {
  return `시트 "${sheet}": 입력에 이미 "${from}" 열이 있어 덧붙인 열의 이름을 "${to}"(으)로 했습니다.`;
}
