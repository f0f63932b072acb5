import type { MigrationInterface, QueryRunner } from 'typeorm';

/** PostGIS, the boundary store, conversions and their per-row results. */
export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS postgis`);

    await q.query(`
      CREATE TABLE boundary_sets (
        id          serial PRIMARY KEY,
        name        text NOT NULL,
        version     integer NOT NULL,
        source      text NOT NULL,
        source_srid integer NOT NULL,
        levels      jsonb NOT NULL DEFAULT '[]',
        status      text NOT NULL CHECK (status IN ('LOADING', 'READY', 'RETIRED')),
        is_current  boolean NOT NULL DEFAULT false,
        loaded_at   timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (name, version)
      )`);
    // At most one current version per name: the switch to a new version is one UPDATE pair in a transaction.
    await q.query(`CREATE UNIQUE INDEX boundary_sets_current ON boundary_sets (name) WHERE is_current`);

    await q.query(`
      CREATE TABLE boundaries (
        id        serial PRIMARY KEY,
        set_id    integer NOT NULL REFERENCES boundary_sets (id) ON DELETE CASCADE,
        level     smallint NOT NULL,
        code      text NOT NULL,
        name      text NOT NULL,
        parent_id integer,
        names     text[],
        codes     text[],
        geom      geometry(MultiPolygon, 4326) NOT NULL
      )`);
    await q.query(`CREATE INDEX boundaries_set_level ON boundaries (set_id, level)`);
    await q.query(`CREATE INDEX boundaries_set_code ON boundaries (set_id, code)`);
    await q.query(`CREATE INDEX boundaries_geom ON boundaries USING gist (geom)`);

    await q.query(`
      CREATE TABLE conversions (
        id               uuid PRIMARY KEY,
        file_name        text NOT NULL,
        upload_path      text NOT NULL,
        file_size        bigint NOT NULL,
        options          jsonb NOT NULL,
        status           text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
        phase            text NOT NULL,
        total_rows       integer,
        processed_rows   integer NOT NULL DEFAULT 0,
        matched_rows     integer NOT NULL DEFAULT 0,
        nearest_rows     integer NOT NULL DEFAULT 0,
        unmatched_rows   integer NOT NULL DEFAULT 0,
        invalid_rows     integer NOT NULL DEFAULT 0,
        error            text,
        boundary_set_id  integer REFERENCES boundary_sets (id),
        detected         jsonb,
        output_path      text,
        timings          jsonb,
        worker_id        text,
        lease_expires_at timestamptz,
        attempts         integer NOT NULL DEFAULT 0,
        created_at       timestamptz NOT NULL DEFAULT now(),
        started_at       timestamptz,
        finished_at      timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX conversions_created ON conversions (created_at DESC, id DESC)`);
    // The claim query looks only at claimable jobs.
    await q.query(`CREATE INDEX conversions_claimable ON conversions (created_at) WHERE status IN ('QUEUED', 'RUNNING')`);

    // One row per input data row, written in the same transaction as the counters that cover it.
    await q.query(`
      CREATE TABLE conversion_results (
        conversion_id uuid NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,
        row_no        integer NOT NULL,
        boundary_id   integer,
        result        smallint NOT NULL,
        distance_m    real,
        reason        text,
        PRIMARY KEY (conversion_id, row_no)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE conversion_results`);
    await q.query(`DROP TABLE conversions`);
    await q.query(`DROP TABLE boundaries`);
    await q.query(`DROP TABLE boundary_sets`);
  }
}
