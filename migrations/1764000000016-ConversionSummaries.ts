import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a conversion's page and API show besides the totals, stored as each chunk commits (in the
 * same statement) and kept after the conversion ends, unlike conversion_chunks: per chunk, the
 * matched rows per boundary (region_ids, region_rows) and the rows that need a look (NEAREST,
 * NO_MATCH, INVALID) with their sheet row numbers, coordinates as read and notes. One row per
 * chunk keeps a commit at one insert; a page of problem rows finds its chunks by the running sum
 * of problem_count. read_rows and written_rows let progress move within a chunk (a FAILED conversion's error code
 * is migration 14's error_code).
 */
export class ConversionSummaries1764000000016 implements MigrationInterface {
  name = 'ConversionSummaries1764000000016';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conversion_chunk_summaries (
        conversion_id       uuid NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,
        first_row           integer NOT NULL,
        sheet               text NOT NULL,
        srid                integer NOT NULL,
        region_ids          integer[] NOT NULL,
        region_rows         integer[] NOT NULL,
        problem_count       integer NOT NULL,
        problem_row_numbers integer[] NOT NULL,
        problem_results     smallint[] NOT NULL,
        problem_xs          double precision[] NOT NULL,
        problem_ys          double precision[] NOT NULL,
        problem_reasons     text[] NOT NULL,
        problem_distances   real[] NOT NULL,
        PRIMARY KEY (conversion_id, first_row)
      )`);
    await q.query(`ALTER TABLE conversions
      ADD COLUMN read_rows integer NOT NULL DEFAULT 0, ADD COLUMN written_rows integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversions DROP COLUMN read_rows, DROP COLUMN written_rows`);
    await q.query(`DROP TABLE conversion_chunk_summaries`);
  }
}
