import type { Geocoder, GeocodeTarget } from './geocoder';

/** Points in the warm-up chunk: enough for every step of a real chunk to run, a tenth of a second. */
const WARM_UP_POINTS = 20_000;

/**
 * Geocodes a made-up chunk once, at start, and throws the results away, so the first real
 * conversion finds the database connection and PostgreSQL's and PostGIS's caches warm and the
 * geocoder's JavaScript compiled: on a fresh server the first chunk took ~170 ms longer than the
 * next ones. The points are spread evenly over Korea's bounding box, so some fall in the interior
 * grid, some near borders (the polygon-driven join) and some at sea (the nearest search).
 */
export async function warmUpGeocoder(geocoder: Geocoder, target: Omit<GeocodeTarget, 'srid'>): Promise<void> {
  const xs = new Float64Array(WARM_UP_POINTS);
  const ys = new Float64Array(WARM_UP_POINTS);
  let seed = 1;
  const next = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
  for (let k = 0; k < WARM_UP_POINTS; k++) {
    xs[k] = 125 + next() * 5;
    ys[k] = 33 + next() * 5.6;
  }
  await geocoder.geocode({ ...target, srid: 4326 }, { xs, ys, invalidReasons: new Map() });
}
