import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Owners and retention: each conversion records the name of the API key that created it (NULL
 * when the service runs without keys), a finished conversion whose files were deleted (retention
 * or deleteConversion) is EXPIRED, and a small settings table holds the download-link secret that
 * every instance sharing the database must sign with.
 */
export class OwnersAndRetention1764000000015 implements MigrationInterface {
  name = 'OwnersAndRetention1764000000015';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversions ADD COLUMN owner text`);
    await q.query(`ALTER TABLE conversions DROP CONSTRAINT conversions_status_check`);
    await q.query(`ALTER TABLE conversions ADD CONSTRAINT conversions_status_check
      CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'))`);
    await q.query(`CREATE INDEX conversions_owner_created ON conversions (owner, created_at DESC, id DESC)`);
    // The retention sweep looks only at finished conversions that still have files.
    await q.query(`CREATE INDEX conversions_completed_finished ON conversions (finished_at) WHERE status = 'COMPLETED'`);
    await q.query(`
      CREATE TABLE service_settings (
        name  text PRIMARY KEY,
        value text NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_settings`);
    await q.query(`DROP INDEX conversions_completed_finished`);
    await q.query(`DROP INDEX conversions_owner_created`);
    // Before EXPIRED existed a conversion without its file was COMPLETED without an output.
    await q.query(`UPDATE conversions SET status = 'COMPLETED', output_path = NULL WHERE status = 'EXPIRED'`);
    await q.query(`ALTER TABLE conversions DROP CONSTRAINT conversions_status_check`);
    await q.query(`ALTER TABLE conversions ADD CONSTRAINT conversions_status_check
      CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'))`);
    await q.query(`ALTER TABLE conversions DROP COLUMN owner`);
  }
}
