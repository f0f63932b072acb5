import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The interior grid of a set's level (src/geocode/interior-grid.ts): cells PostGIS proved to lie
 * wholly inside one polygon, as a serialised quadtree. Derived data, built in the background on
 * first use of a set and kept here so that later starts and other instances load it in
 * milliseconds instead of building it again. `format` names the grid layout; a new layout builds
 * a new row.
 */
export class InteriorGrids1764000000004 implements MigrationInterface {
  name = 'InteriorGrids1764000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE boundary_grids (
        set_id     integer NOT NULL REFERENCES boundary_sets (id) ON DELETE CASCADE,
        level      smallint NOT NULL,
        format     integer NOT NULL,
        cells      integer NOT NULL,
        build_ms   integer NOT NULL,
        tree       bytea NOT NULL,
        built_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (set_id, level, format)
      )`);
    // Uncompressed out of line, so the grid can be read in slices (substring) without
    // decompressing all of it for each slice; it barely compresses anyway.
    await q.query(`ALTER TABLE boundary_grids ALTER COLUMN tree SET STORAGE EXTERNAL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE boundary_grids`);
  }
}
