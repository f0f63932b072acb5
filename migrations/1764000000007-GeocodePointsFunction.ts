import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GEOCODE_POINTS_FUNCTION_SQL } from '../src/geocode/geocode-points-function';

/** Installs c2r_geocode_points (src/geocode/geocode-points-function.ts): a chunk's PostGIS work in one call. */
export class GeocodePointsFunction1764000000007 implements MigrationInterface {
  name = 'GeocodePointsFunction1764000000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(GEOCODE_POINTS_FUNCTION_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION c2r_geocode_points(bytea, integer[], integer, integer, integer, integer, integer[], float8)`);
  }
}
