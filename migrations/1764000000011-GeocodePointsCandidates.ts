import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GEOCODE_POINTS_FUNCTION_SQL } from '../src/geocode/geocode-points-function';

/**
 * c2r_geocode_points takes the polygons worth trying (p_candidates: those whose box holds one of
 * the points), so the polygon-driven join leaves the others out. A new argument is a new
 * signature: the eight-argument function is dropped.
 */
export class GeocodePointsCandidates1764000000011 implements MigrationInterface {
  name = 'GeocodePointsCandidates1764000000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS c2r_geocode_points(bytea, integer[], integer, integer, integer, integer, integer[], float8)`);
    await q.query(GEOCODE_POINTS_FUNCTION_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to the eight arguments the earlier code calls, with every polygon tried.
    await q.query(`DROP FUNCTION c2r_geocode_points(bytea, integer[], integer, integer, integer, integer, integer[], float8, integer[])`);
    await q.query(
      GEOCODE_POINTS_FUNCTION_SQL.replace(', p_candidates integer[])', ')').replace(/p_candidates IS NOT NULL\s+OR /, '').replace(/\s+AND \(p_candidates IS NULL OR b\.id = ANY\(p_candidates\)\)/, ''),
    );
  }
}
