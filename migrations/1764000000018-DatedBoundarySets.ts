import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A boundary set can hold dated versions: `valid_from` is the day a version starts to apply (it
 * applies until the next version of the same name starts; NULL for an undated set), and `label`
 * names a set's columns in an output that uses several sets (`읍면동(법정동)`). Each dated version
 * is its own row, so everything keyed by a set id (pieces, interior grids) works per version.
 * The bundled census set `kostat-2018` becomes the 2018 version of `kostat` (a 2013 version loads
 * beside it); the name `kostat-2018` still reaches that version.
 */
export class DatedBoundarySets1764000000018 implements MigrationInterface {
  name = 'DatedBoundarySets1764000000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE boundary_sets ADD COLUMN valid_from date`);
    await q.query(`ALTER TABLE boundary_sets ADD COLUMN label text`);
    // One current version per name and start day (an undated set: one per name, as before).
    await q.query(`DROP INDEX boundary_sets_current`);
    await q.query(`CREATE UNIQUE INDEX boundary_sets_current ON boundary_sets (name, coalesce(valid_from, DATE '0001-01-01')) WHERE is_current`);
    await q.query(`UPDATE boundary_sets SET name = 'kostat', valid_from = DATE '2018-01-01' WHERE name = 'kostat-2018'`);
  }

  /**
   * Versions dated other than the bundled 2018 one cannot be told apart without valid_from: they
   * are retired (kept, no longer current) and the 2018 version gets its old name back.
   */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE boundary_sets SET is_current = false, status = CASE WHEN status = 'READY' THEN 'RETIRED' ELSE status END
      WHERE valid_from IS NOT NULL AND NOT (name = 'kostat' AND valid_from = DATE '2018-01-01')`);
    await q.query(`UPDATE boundary_sets SET name = 'kostat-2018' WHERE name = 'kostat' AND valid_from = DATE '2018-01-01'`);
    await q.query(`DROP INDEX boundary_sets_current`);
    await q.query(`CREATE UNIQUE INDEX boundary_sets_current ON boundary_sets (name) WHERE is_current`);
    await q.query(`ALTER TABLE boundary_sets DROP COLUMN label`);
    await q.query(`ALTER TABLE boundary_sets DROP COLUMN valid_from`);
  }
}
