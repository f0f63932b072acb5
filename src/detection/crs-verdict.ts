import { ALL_CANDIDATES, LON_LAT, contains, type CrsCandidate } from './crs-candidates';

export type Point = readonly [number, number];

/** What a sample of points says about its coordinate system. */
export type CrsVerdict =
  /** One system fits (lon/lat wins over any projected one: their ranges cannot both hold). */
  | { kind: 'known'; candidate: CrsCandidate; share: number; swapped: boolean }
  /** Several projected systems fit and the values cannot tell them apart. */
  | { kind: 'ambiguous'; candidates: CrsCandidate[]; swapped: boolean }
  | { kind: 'unknown' };

/** Share of the points inside the candidate's range over Korea. */
export function shareInside(candidate: CrsCandidate, points: readonly Point[], swapped = false): number {
  if (points.length === 0) return 0;
  let inside = 0;
  for (const [x, y] of points) if (swapped ? contains(candidate, y, x) : contains(candidate, x, y)) inside++;
  return inside / points.length;
}

/**
 * Which system the points are in: the candidates holding at least `minShare` of them (a few bad
 * rows must not hide the answer). With `allowSwap`, the points are also tried as (y, x), for
 * columns whose labels say x but whose values say latitude; the order as given wins when both fit.
 */
export function judgeCrs(
  points: readonly Point[],
  options: { minShare: number; allowSwap: boolean; candidates?: readonly CrsCandidate[] },
): CrsVerdict {
  const candidates = options.candidates ?? ALL_CANDIDATES;
  const orders = options.allowSwap ? [false, true] : [false];
  let ambiguous: CrsVerdict | null = null;
  for (const swapped of orders) {
    const fitting = candidates
      .map((candidate) => ({ candidate, share: shareInside(candidate, points, swapped) }))
      .filter((f) => f.share > 0 && f.share >= options.minShare);
    const lonLat = fitting.find((f) => f.candidate.srid === LON_LAT.srid);
    if (lonLat) return { kind: 'known', candidate: lonLat.candidate, share: lonLat.share, swapped };
    if (fitting.length === 1) return { kind: 'known', candidate: fitting[0].candidate, share: fitting[0].share, swapped };
    if (fitting.length > 1 && !ambiguous) ambiguous = { kind: 'ambiguous', candidates: fitting.map((f) => f.candidate), swapped };
  }
  return ambiguous ?? { kind: 'unknown' };
}
