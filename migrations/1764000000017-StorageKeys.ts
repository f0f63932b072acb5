import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversions record where their upload and output are as storage keys (`uploads/<id>`,
 * `outputs/<id>.xlsx`), the same in the local folder and in S3, instead of absolute paths of
 * the machine that received them. Paths stored before become the keys of the same files under
 * DATA_DIR, whose layout is unchanged.
 */
export class StorageKeys1764000000017 implements MigrationInterface {
  name = 'StorageKeys1764000000017';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversions RENAME COLUMN upload_path TO upload_key`);
    await q.query(`ALTER TABLE conversions RENAME COLUMN output_path TO output_key`);
    // PostgreSQL 18 (the embedded one) names NOT NULL constraints after their column; renaming the
    // column keeps the old name, which pg_dump then prints. Older servers have no such constraint.
    await renameConstraintIfExists(q, 'conversions_upload_path_not_null', 'conversions_upload_key_not_null');
    await q.query(`UPDATE conversions
      SET upload_key = 'uploads/' || regexp_replace(upload_key, '^.*/', ''),
          output_key = CASE WHEN output_key IS NULL THEN NULL ELSE 'outputs/' || regexp_replace(output_key, '^.*/', '') END
      WHERE upload_key LIKE '/%' OR output_key LIKE '/%'`);
  }

  /**
   * The columns get their old names back. Their values stay keys, relative to DATA_DIR: the
   * absolute folder they were under is not known to the database.
   */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversions RENAME COLUMN output_key TO output_path`);
    await q.query(`ALTER TABLE conversions RENAME COLUMN upload_key TO upload_path`);
    await renameConstraintIfExists(q, 'conversions_upload_key_not_null', 'conversions_upload_path_not_null');
  }
}

async function renameConstraintIfExists(q: QueryRunner, from: string, to: string): Promise<void> {
  await q.query(`DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '${from}' AND conrelid = 'conversions'::regclass) THEN
      ALTER TABLE conversions RENAME CONSTRAINT ${from} TO ${to};
    END IF;
  END $$`);
}
