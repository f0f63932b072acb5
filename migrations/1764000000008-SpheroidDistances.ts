import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GEOCODE_POINTS_FUNCTION_SQL } from '../src/geocode/geocode-points-function';

/**
 * Installs c2r_geocode_points again: its nearest search now measures with ST_DistanceSpheroid on
 * the geometries instead of ST_Distance on geography casts (the same metres, without two casts per
 * candidate piece, which were most of the search's time).
 */
export class SpheroidDistances1764000000008 implements MigrationInterface {
  name = 'SpheroidDistances1764000000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(GEOCODE_POINTS_FUNCTION_SQL);
  }

  async down(): Promise<void> {
    // The earlier text is not kept; the function measures the same distances either way.
  }
}
