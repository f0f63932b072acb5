import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Boundaries cut into small pieces (ST_Subdivide), for the nearest-boundary search only. A point
 * at sea lies inside the bounding box of many large polygons, and measuring the distance to a
 * whole province on the spheroid costs milliseconds; against pieces of at most a few hundred
 * vertices with tight boxes, the index finds the few pieces really near and each distance is cheap.
 * Derived data: built from `boundaries` on first use of a set (src/geocode/boundary-pieces.ts).
 */
export class BoundaryPieces1764000000002 implements MigrationInterface {
  name = 'BoundaryPieces1764000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE boundary_pieces (
        set_id      integer NOT NULL REFERENCES boundary_sets (id) ON DELETE CASCADE,
        boundary_id integer NOT NULL REFERENCES boundaries (id) ON DELETE CASCADE,
        level       smallint NOT NULL,
        geom        geometry(Geometry, 4326) NOT NULL
      )`);
    await q.query(`CREATE INDEX boundary_pieces_geom ON boundary_pieces USING gist (geom)`);
    await q.query(`CREATE INDEX boundary_pieces_boundary ON boundary_pieces (boundary_id)`);
    // One row per set whose pieces are complete; the pieces are built in the same transaction.
    await q.query(`
      CREATE TABLE boundary_pieces_built (
        set_id   integer PRIMARY KEY REFERENCES boundary_sets (id) ON DELETE CASCADE,
        built_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE boundary_pieces_built`);
    await q.query(`DROP TABLE boundary_pieces`);
  }
}
