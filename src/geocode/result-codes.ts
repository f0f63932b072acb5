/**
 * How a row was resolved; stored as a small integer in conversion_chunks.results. The codes are
 * spelled out in sql/c2r_geocode_points.sql, which returns them.
 */
export const MATCH_RESULTS = ['OK', 'NEAREST', 'NO_MATCH', 'INVALID'] as const;
export type MatchResult = (typeof MATCH_RESULTS)[number];

export const RESULT_CODE: Record<MatchResult, number> = { OK: 0, NEAREST: 1, NO_MATCH: 2, INVALID: 3 };

export function resultFromCode(code: number): MatchResult {
  const r = MATCH_RESULTS[code];
  if (!r) throw new Error(`Unknown result code ${code}`);
  return r;
}
