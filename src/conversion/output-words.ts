import type { MatchResult } from '../geocode/result-codes';

/** The words a converted spreadsheet uses in 결과 and 비고: Korean by default, English on request. */
export const OUTPUT_LANGUAGES = ['KO', 'EN'] as const;
export type OutputLanguage = (typeof OUTPUT_LANGUAGES)[number];

const RESULT_WORDS: Record<OutputLanguage, Record<MatchResult, string>> = {
  KO: { OK: '정상', NEAREST: '근접', NO_MATCH: '해당없음', INVALID: '좌표오류' },
  EN: { OK: 'OK', NEAREST: 'NEAREST', NO_MATCH: 'NO_MATCH', INVALID: 'INVALID' },
};

export function resultWord(result: MatchResult, language: OutputLanguage = 'KO'): string {
  return RESULT_WORDS[language][result];
}

/** How far a NEAREST point lies outside the polygon it was given. */
export function distanceNote(meters: number, language: OutputLanguage = 'KO'): string {
  const rounded = Math.round(meters);
  return language === 'EN' ? `${rounded} m outside the nearest boundary` : `경계 밖 ${rounded} m`;
}

/**
 * Why a row's coordinates are unusable, in the output's language. Reasons are made (and stored
 * with a chunk's results) in English, one problem per `; `-separated part; each known part has a
 * Korean form, an unknown one is kept as it is.
 */
export function reasonNote(reason: string, language: OutputLanguage = 'KO'): string {
  if (language === 'EN') return reason;
  return reason.split('; ').map(koreanPart).join(', ');
}

const KOREAN_PARTS: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^([xy]) empty$/, (m) => `${m[1]} 좌표 없음`],
  [/^([xy]) (.*) is not a finite number$/s, (m) => `${m[1]} 좌표 ${m[2]}: 유한한 숫자가 아님`],
  [/^([xy]) (.*) is not a number$/s, (m) => `${m[1]} 좌표 ${m[2]}: 숫자가 아님`],
  [/^longitude (\S+) is outside ±180$/, (m) => `경도 ${m[1]}: ±180 범위 밖`],
  [/^latitude (\S+) is outside ±90$/, (m) => `위도 ${m[1]}: ±90 범위 밖`],
  [/^coordinates outside the domain of EPSG:(\d+)$/, (m) => `EPSG:${m[1]} 좌표계 범위 밖`],
];

function koreanPart(part: string): string {
  for (const [pattern, korean] of KOREAN_PARTS) {
    const m = part.match(pattern);
    if (m) return korean(m);
  }
  return part;
}
