import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Installs c2r_geocode_points again: its nearest search now measures with ST_DistanceSpheroid on
 * the geometries instead of ST_Distance on geography casts (the same metres, without two casts per
 * candidate piece, which were most of the search's time).
 */
export class SpheroidDistances1764000000008 implements MigrationInterface {
  name = 'SpheroidDistances1764000000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE OR REPLACE FUNCTION c2r_geocode_points(
  p_points bytea, p_offsets integer[], p_first_row integer, p_srid integer,
  p_set_id integer, p_deepest integer, p_shallower integer[], p_max_distance float8)
RETURNS TABLE (o_row_no integer, o_boundary_id integer, o_result smallint, o_distance real, o_reason text)
LANGUAGE plpgsql AS $fn$
DECLARE
  leftovers integer;
BEGIN
  -- JIT compiles these plans for ~130 ms per statement and never wins it back at chunk size.
  PERFORM set_config('jit', 'off', true);

  BEGIN
    CREATE TEMP TABLE chunk_points ON COMMIT DROP AS
    SELECT p_first_row + p_offsets[d.path[1]] AS row_no,
           CASE WHEN p_srid = 4326 THEN d.geom ELSE ST_Transform(d.geom, 4326) END AS geom,
           NULL::text AS reason
      FROM ST_DumpPoints(ST_GeomFromWKB(p_points, p_srid)) d;
  EXCEPTION WHEN OTHERS THEN
    IF SQLERRM !~* 'transform|projection|domain' THEN RAISE; END IF;
    CREATE TEMP TABLE chunk_points ON COMMIT DROP AS
    SELECT p_first_row + p_offsets[d.path[1]] AS row_no, t.geom,
           CASE WHEN t.geom IS NULL THEN 'coordinates outside the domain of EPSG:' || p_srid END AS reason
      FROM ST_DumpPoints(ST_GeomFromWKB(p_points, p_srid)) d
      CROSS JOIN LATERAL (SELECT c2r_try_transform(d.geom, 4326) AS geom) t;
  END;
  -- No ANALYZE: it costs ~100 ms and the plan below is chosen without statistics too.
  CREATE INDEX ON chunk_points USING gist (geom);

  CREATE TEMP TABLE chunk_hits ON COMMIT DROP AS
  SELECT DISTINCT ON (cp.row_no) cp.row_no, b.id AS boundary_id
    FROM boundaries b
    JOIN chunk_points cp ON ST_Intersects(b.geom, cp.geom)
   WHERE b.set_id = p_set_id AND b.level = p_deepest
   ORDER BY cp.row_no, b.id;

  CREATE TEMP TABLE chunk_leftovers ON COMMIT DROP AS
  SELECT cp.row_no, cp.geom, NULL::integer AS boundary_id, NULL::real AS distance_m
    FROM chunk_points cp
   WHERE cp.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chunk_hits h WHERE h.row_no = cp.row_no);
  SELECT count(*) INTO leftovers FROM chunk_leftovers;

  IF leftovers > 0 AND (cardinality(p_shallower) > 0 OR p_max_distance > 0) THEN
    UPDATE chunk_leftovers l SET boundary_id = n.boundary_id, distance_m = nullif(n.d, 0)
      FROM (SELECT cl.row_no, near.boundary_id, near.d
              FROM chunk_leftovers cl
              CROSS JOIN LATERAL (
                SELECT p_max_distance / (111320 * greatest(cos(radians(ST_Y(cl.geom))), 0.01)) AS dlon
              ) r
              CROSS JOIN LATERAL (
                SELECT c.boundary_id, c.level, c.d
                  FROM (SELECT bp.boundary_id, bp.level,
                               CASE WHEN bp.level = ANY(p_shallower) AND ST_Intersects(bp.geom, cl.geom) THEN 0
                                    WHEN p_max_distance > 0 AND ST_DWithin(bp.geom, cl.geom, r.dlon)
                                    THEN ST_DistanceSpheroid(bp.geom, cl.geom) END AS d
                          FROM boundary_pieces bp
                         WHERE bp.set_id = p_set_id AND bp.geom && ST_Expand(cl.geom, r.dlon, p_max_distance / 110540)
                        OFFSET 0) c -- computes d once; flattened, it is evaluated for the filter and again for the sort
                 WHERE c.d <= p_max_distance
                 ORDER BY c.d > min(c.d) OVER () + 0.01, c.level DESC, c.d, c.boundary_id
                 LIMIT 1
              ) near) n
     WHERE l.row_no = n.row_no;
  END IF;

  RETURN QUERY
  SELECT p.row_no, coalesce(h.boundary_id, l.boundary_id),
         (CASE WHEN p.geom IS NULL THEN 3
               WHEN h.boundary_id IS NOT NULL THEN 0
               WHEN l.boundary_id IS NULL THEN 2
               WHEN l.distance_m IS NULL THEN 0
               ELSE 1 END)::smallint,
         l.distance_m, p.reason
    FROM chunk_points p
    LEFT JOIN chunk_hits h ON h.row_no = p.row_no
    LEFT JOIN chunk_leftovers l ON l.row_no = p.row_no;

  DROP TABLE chunk_points, chunk_hits, chunk_leftovers;
END
$fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The text migration 1764000000007 installed.
    await q.query(`
CREATE OR REPLACE FUNCTION c2r_geocode_points(
  p_points bytea, p_offsets integer[], p_first_row integer, p_srid integer,
  p_set_id integer, p_deepest integer, p_shallower integer[], p_max_distance float8)
RETURNS TABLE (o_row_no integer, o_boundary_id integer, o_result smallint, o_distance real, o_reason text)
LANGUAGE plpgsql AS $fn$
DECLARE
  leftovers integer;
BEGIN
  -- JIT compiles these plans for ~130 ms per statement and never wins it back at chunk size.
  PERFORM set_config('jit', 'off', true);

  BEGIN
    CREATE TEMP TABLE chunk_points ON COMMIT DROP AS
    SELECT p_first_row + p_offsets[d.path[1]] AS row_no,
           CASE WHEN p_srid = 4326 THEN d.geom ELSE ST_Transform(d.geom, 4326) END AS geom,
           NULL::text AS reason
      FROM ST_DumpPoints(ST_GeomFromWKB(p_points, p_srid)) d;
  EXCEPTION WHEN OTHERS THEN
    IF SQLERRM !~* 'transform|projection|domain' THEN RAISE; END IF;
    CREATE TEMP TABLE chunk_points ON COMMIT DROP AS
    SELECT p_first_row + p_offsets[d.path[1]] AS row_no, t.geom,
           CASE WHEN t.geom IS NULL THEN 'coordinates outside the domain of EPSG:' || p_srid END AS reason
      FROM ST_DumpPoints(ST_GeomFromWKB(p_points, p_srid)) d
      CROSS JOIN LATERAL (SELECT c2r_try_transform(d.geom, 4326) AS geom) t;
  END;
  -- No ANALYZE: it costs ~100 ms and the plan below is chosen without statistics too.
  CREATE INDEX ON chunk_points USING gist (geom);

  CREATE TEMP TABLE chunk_hits ON COMMIT DROP AS
  SELECT DISTINCT ON (cp.row_no) cp.row_no, b.id AS boundary_id
    FROM boundaries b
    JOIN chunk_points cp ON ST_Intersects(b.geom, cp.geom)
   WHERE b.set_id = p_set_id AND b.level = p_deepest
   ORDER BY cp.row_no, b.id;

  CREATE TEMP TABLE chunk_leftovers ON COMMIT DROP AS
  SELECT cp.row_no, cp.geom, NULL::integer AS boundary_id, NULL::real AS distance_m
    FROM chunk_points cp
   WHERE cp.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chunk_hits h WHERE h.row_no = cp.row_no);
  SELECT count(*) INTO leftovers FROM chunk_leftovers;

  IF leftovers > 0 AND (cardinality(p_shallower) > 0 OR p_max_distance > 0) THEN
    UPDATE chunk_leftovers l SET boundary_id = n.boundary_id, distance_m = nullif(n.d, 0)
      FROM (SELECT cl.row_no, near.boundary_id, near.d
              FROM chunk_leftovers cl
              CROSS JOIN LATERAL (
                SELECT p_max_distance / (111320 * greatest(cos(radians(ST_Y(cl.geom))), 0.01)) AS dlon
              ) r
              CROSS JOIN LATERAL (
                SELECT c.boundary_id, c.level, c.d
                  FROM (SELECT bp.boundary_id, bp.level,
                               CASE WHEN bp.level = ANY(p_shallower) AND ST_Intersects(bp.geom, cl.geom) THEN 0
                                    WHEN p_max_distance > 0 AND ST_DWithin(bp.geom, cl.geom, r.dlon)
                                    THEN ST_Distance(bp.geom::geography, cl.geom::geography) END AS d
                          FROM boundary_pieces bp
                         WHERE bp.set_id = p_set_id AND bp.geom && ST_Expand(cl.geom, r.dlon, p_max_distance / 110540)
                        OFFSET 0) c -- computes d once; flattened, it is evaluated for the filter and again for the sort
                 WHERE c.d <= p_max_distance
                 ORDER BY c.d > min(c.d) OVER () + 0.01, c.level DESC, c.d, c.boundary_id
                 LIMIT 1
              ) near) n
     WHERE l.row_no = n.row_no;
  END IF;

  RETURN QUERY
  SELECT p.row_no, coalesce(h.boundary_id, l.boundary_id),
         (CASE WHEN p.geom IS NULL THEN 3
               WHEN h.boundary_id IS NOT NULL THEN 0
               WHEN l.boundary_id IS NULL THEN 2
               WHEN l.distance_m IS NULL THEN 0
               ELSE 1 END)::smallint,
         l.distance_m, p.reason
    FROM chunk_points p
    LEFT JOIN chunk_hits h ON h.row_no = p.row_no
    LEFT JOIN chunk_leftovers l ON l.row_no = p.row_no;

  DROP TABLE chunk_points, chunk_hits, chunk_leftovers;
END
$fn$`);
  }
}
