import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GEOCODE_POINTS_FUNCTION_SQL } from '../src/geocode/geocode-points-function';

/**
 * Installs c2r_geocode_points again: the deepest level's join is polygon-driven or point-driven
 * by the number of points against the number of polygons, and the matching and the nearest search
 * are one query instead of two temporary tables. It now runs as a statement of its own, outside
 * any transaction of the caller.
 */
export class GeocodePointsOneQuery1764000000010 implements MigrationInterface {
  name = 'GeocodePointsOneQuery1764000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(GEOCODE_POINTS_FUNCTION_SQL);
  }

  async down(): Promise<void> {
    // The earlier text is not kept; it gives the same results.
  }
}
