import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Boundaries imported from another system (TL_SCCO's EPSG:5179) were repaired before the
 * transform to EPSG:4326, and the transform's rounding left a few of them invalid (3 of the TL_SCCO
 * sample). The embedded PostGIS's ST_Subdivide kills its backend on such a polygon, and the lost
 * statement left those boundaries without pieces: the shallower-level search missed them, and
 * an interior grid built without their pieces may be wrong next to them. The import now repairs
 * after the transform; this repairs what is stored, drops the pieces of the sets concerned (and of
 * any set whose pieces are incomplete) and their grids, which are rebuilt on next use.
 */
export class RepairTransformedBoundaries1764000000022 implements MigrationInterface {
  name = 'RepairTransformedBoundaries1764000000022';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TEMP TABLE repaired_sets ON COMMIT DROP AS
      WITH repaired AS (
        UPDATE boundaries SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3))
         WHERE NOT (ST_IsValidDetail(geom)).valid
        RETURNING set_id
      )
      SELECT DISTINCT set_id FROM repaired
      UNION
      SELECT DISTINCT b.set_id FROM boundaries b
       WHERE EXISTS (SELECT 1 FROM boundary_pieces_built m WHERE m.set_id = b.set_id)
         AND NOT EXISTS (SELECT 1 FROM boundary_pieces p WHERE p.boundary_id = b.id)`);
    await q.query(`DELETE FROM boundary_pieces WHERE set_id IN (SELECT set_id FROM repaired_sets)`);
    await q.query(`DELETE FROM boundary_pieces_built WHERE set_id IN (SELECT set_id FROM repaired_sets)`);
    await q.query(`DELETE FROM boundary_grids WHERE set_id IN (SELECT set_id FROM repaired_sets)`);
    await q.query(`DROP TABLE repaired_sets`);
  }

  async down(): Promise<void> {
    // The repaired polygons stay repaired: the older code reads them just the same.
  }
}
