import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ST_Transform raises an error for a point outside the projection's domain, which would fail a
 * whole chunk. This wrapper turns that into NULL (the row becomes INVALID). It is only used when
 * the fast, unguarded transform of a chunk failed, because each call opens a subtransaction.
 */
export class TryTransform1764000000001 implements MigrationInterface {
  name = 'TryTransform1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION c2r_try_transform(g geometry, srid integer) RETURNS geometry
      LANGUAGE plpgsql IMMUTABLE STRICT AS $$
      BEGIN
        RETURN ST_Transform(g, srid);
      EXCEPTION WHEN OTHERS THEN
        RETURN NULL;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION c2r_try_transform(geometry, integer)`);
  }
}
