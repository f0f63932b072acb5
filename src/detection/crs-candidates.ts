/**
 * The coordinate reference systems a file's values can be recognised in, each with the range
 * its coordinates take over South Korea (lon 124–132°E, lat 32.8–39°N, i.e. the mainland, Jeju,
 * Ulleungdo, Dokdo and the western islands, with a margin). The projected ranges were computed by
 * transforming that box with PROJ; they only need to be good enough to tell systems apart.
 *
 * Two systems can be told apart by their values when their ranges do not overlap: lon/lat,
 * EPSG:5179 (the national Unified CS used by 도로명주소 and SGIS data), UTM zone 52N and web
 * mercator are disjoint. The transverse-mercator belts (EPSG:5186, 5174, 5181, 5185, 5187, 5188)
 * all use false origins near (200 000, 500 000–600 000) and overlap each other: a file in one of
 * them cannot be recognised, only narrowed down to them, and the user must name the srid.
 * EPSG:5178 (Korean 1985 Unified CS) has the same range as 5179 and is not considered: it is
 * rarely seen, and 5179 is what Korean public data uses.
 */
export interface CrsCandidate {
  srid: number;
  name: string;
  /** minX, minY, maxX, maxY over South Korea. */
  box: readonly [number, number, number, number];
  /** True when the values alone can say "this system and no other". */
  recognisable: boolean;
}

export const LON_LAT: CrsCandidate = { srid: 4326, name: 'longitude/latitude (WGS 84)', box: [124, 32.8, 132, 39], recognisable: true };

export const PROJECTED: readonly CrsCandidate[] = [
  { srid: 5179, name: 'Korea 2000 / Unified CS', box: [672_000, 1_423_000, 1_421_000, 2_121_000], recognisable: true },
  { srid: 32652, name: 'WGS 84 / UTM zone 52N', box: [32_000, 3_629_000, 781_000, 4_329_000], recognisable: true },
  { srid: 3857, name: 'WGS 84 / Pseudo-Mercator (web maps)', box: [13_804_000, 3_869_000, 14_694_000, 4_722_000], recognisable: true },
  // Ordered by how often Korean data uses them: the ambiguity message lists them in this order.
  { srid: 5186, name: 'Korea 2000 / Central Belt 2010', box: [-81_000, 23_000, 669_000, 723_000], recognisable: false },
  { srid: 5174, name: 'Korean 1985 / Modified Central Belt', box: [-81_000, -77_000, 668_000, 623_000], recognisable: false },
  { srid: 5181, name: 'Korea 2000 / Central Belt', box: [-81_000, -77_000, 669_000, 623_000], recognisable: false },
  { srid: 5185, name: 'Korea 2000 / West Belt 2010', box: [106_000, 23_000, 856_000, 734_000], recognisable: false },
  { srid: 5187, name: 'Korea 2000 / East Belt 2010', box: [-269_000, 23_000, 481_000, 723_000], recognisable: false },
  { srid: 5188, name: 'Korea 2000 / East Sea Belt 2010', box: [-456_000, 23_000, 294_000, 734_000], recognisable: false },
];

export const ALL_CANDIDATES: readonly CrsCandidate[] = [LON_LAT, ...PROJECTED];

/**
 * Projected coordinates over Korea are tens or hundreds of kilometres from their false origin;
 * a pair where both values are this small is a count, a speed or a lon/lat, not metres.
 */
export const MIN_PROJECTED_MAGNITUDE = 10_000;

export function contains(candidate: CrsCandidate, x: number, y: number): boolean {
  const [minX, minY, maxX, maxY] = candidate.box;
  if (x < minX || x > maxX || y < minY || y > maxY) return false;
  return candidate.srid === 4326 || Math.max(Math.abs(x), Math.abs(y)) >= MIN_PROJECTED_MAGNITUDE;
}

export function candidateFor(srid: number): CrsCandidate | undefined {
  return ALL_CANDIDATES.find((c) => c.srid === srid);
}

export function describeSrid(srid: number): string {
  const known = candidateFor(srid);
  return known ? `EPSG:${srid} (${known.name})` : `EPSG:${srid}`;
}
