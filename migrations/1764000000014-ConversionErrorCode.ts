import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A failed conversion's error code (NO_COORDINATES, DISK_FULL, TOO_MANY_COLUMNS …) next to its
 * message, so clients can tell failures apart without reading the text.
 */
export class ConversionErrorCode1764000000014 implements MigrationInterface {
  name = 'ConversionErrorCode1764000000014';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversions ADD COLUMN error_code text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversions DROP COLUMN error_code`);
  }
}
