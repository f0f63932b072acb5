/**
 * How the nearest-boundary fallback picks among the polygons within reach of a point (`c.d` is the
 * distance in metres, `c.level` the level). A 리 and the 읍면동, 시군구 and 시도 it lies in share the
 * border the point is near, so they are all "nearest", their distances differing only by float
 * noise (a fraction of a millimetre), and a bare `ORDER BY d, level DESC` handed the point to
 * whichever level happened to compute shortest, often the 시도. Within 1 cm of the minimum the
 * deepest level wins, which gives the same region an exact hit would have given.
 * sql/c2r_geocode_points.sql spells the same order (test/sql-functions.test.ts checks it).
 */
export const NEAREST_ORDER = `c.d > min(c.d) OVER () + 0.01, c.level DESC, c.d`;

/**
 * The distance in metres the nearest searches rank by: on the WGS 84 spheroid, between EPSG:4326
 * geometries. ST_DistanceSpheroid gives what ST_Distance on geography gives (within nanometres)
 * without casting both sides to geography for every candidate, which took 60% of the search.
 */
export const spheroidDistanceSql = (a: string, b: string) => `ST_DistanceSpheroid(${a}, ${b})`;
