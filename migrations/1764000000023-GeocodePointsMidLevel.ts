import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * c2r_geocode_points takes the next level's candidate polygons (p_mid_candidates) and matches the
 * points no deepest polygon holds against them in one polygon-driven join, instead of one nearest
 * search each: in a set in the official TL_SCCO layout (리 only under 읍/면) that was every point
 * in a 동 the interior grid leaves over. A new argument is a new signature: the nine-argument
 * function is dropped.
 */
export class GeocodePointsMidLevel1764000000023 implements MigrationInterface {
  name = 'GeocodePointsMidLevel1764000000023';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS c2r_geocode_points(bytea, integer[], integer, integer, integer, integer, integer[], float8, integer[])`);
    await q.query(`
CREATE OR REPLACE FUNCTION c2r_geocode_points(
  p_points bytea, p_offsets integer[], p_first_row integer, p_srid integer,
  p_set_id integer, p_deepest integer, p_shallower integer[], p_max_distance float8, p_candidates integer[],
  p_mid_candidates integer[])
RETURNS TABLE (o_row_no integer, o_boundary_id integer, o_result smallint, o_distance real, o_reason text)
LANGUAGE plpgsql AS $fn$
DECLARE
  polygon_driven boolean;
  mid_driven boolean;
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

  polygon_driven := p_candidates IS NOT NULL
    OR cardinality(p_offsets) * 2 >= (SELECT count(*) FROM boundaries WHERE set_id = p_set_id AND level = p_deepest);
  -- No ANALYZE: it costs ~100 ms, and the join order is fixed below.
  IF polygon_driven THEN
    CREATE INDEX ON chunk_points USING gist (geom);
  END IF;

  CREATE TEMP TABLE chunk_hits ON COMMIT DROP AS
    SELECT h.row_no, min(h.boundary_id) AS boundary_id
      FROM boundaries b
      CROSS JOIN LATERAL (SELECT cp.row_no, b.id AS boundary_id FROM chunk_points cp
                           WHERE ST_Intersects(b.geom, cp.geom) OFFSET 0) h
     WHERE polygon_driven AND b.set_id = p_set_id AND b.level = p_deepest
       AND (p_candidates IS NULL OR b.id = ANY(p_candidates))
     GROUP BY h.row_no
    UNION ALL
    SELECT cp.row_no, h.boundary_id
      FROM chunk_points cp
      CROSS JOIN LATERAL (SELECT b.id AS boundary_id FROM boundaries b
                           WHERE b.set_id = p_set_id AND b.level = p_deepest AND ST_Intersects(b.geom, cp.geom)
                           ORDER BY b.id LIMIT 1) h
     WHERE NOT polygon_driven;

  mid_driven := cardinality(p_shallower) > 0 AND p_mid_candidates IS NOT NULL AND p_candidates IS NOT NULL;
  CREATE TEMP TABLE rest_points ON COMMIT DROP AS
  SELECT cp.row_no, cp.geom FROM chunk_points cp
   WHERE cp.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chunk_hits h WHERE h.row_no = cp.row_no);
  IF mid_driven THEN
    CREATE INDEX ON rest_points USING gist (geom);
  END IF;

  RETURN QUERY
  WITH mid AS MATERIALIZED (
    SELECT h.row_no, min(h.boundary_id) AS boundary_id
      FROM boundaries b
      CROSS JOIN LATERAL (SELECT rp.row_no, b.id AS boundary_id FROM rest_points rp
                           WHERE ST_Intersects(b.geom, rp.geom) OFFSET 0) h
     WHERE mid_driven AND b.set_id = p_set_id AND b.level = p_shallower[1] AND b.id = ANY(p_mid_candidates)
     GROUP BY h.row_no
  ),
  near_deepest AS MATERIALIZED (
    SELECT DISTINCT h.row_no
      FROM boundaries b
      CROSS JOIN LATERAL (SELECT rp.row_no FROM rest_points rp
                           WHERE ST_DWithin(b.geom, rp.geom, 1e-6) OFFSET 0) h
     WHERE mid_driven AND b.set_id = p_set_id AND b.level = p_deepest AND b.id = ANY(p_candidates)
  ),
  settled AS MATERIALIZED (
    SELECT m.row_no, m.boundary_id FROM mid m
     WHERE NOT EXISTS (SELECT 1 FROM near_deepest d WHERE d.row_no = m.row_no)
  ),
  near AS MATERIALIZED (
    SELECT cl.row_no, near.boundary_id, nullif(near.d, 0) AS distance_m
      FROM rest_points cl
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
      ) near
     WHERE (cardinality(p_shallower) > 0 OR p_max_distance > 0)
       AND NOT EXISTS (SELECT 1 FROM settled st WHERE st.row_no = cl.row_no)
  )
  SELECT p.row_no, coalesce(h.boundary_id, st.boundary_id, n.boundary_id),
         (CASE WHEN p.geom IS NULL THEN 3
               WHEN h.boundary_id IS NOT NULL OR st.boundary_id IS NOT NULL THEN 0
               WHEN n.boundary_id IS NULL THEN 2
               WHEN n.distance_m IS NULL THEN 0
               ELSE 1 END)::smallint,
         n.distance_m::real, p.reason
    FROM chunk_points p
    LEFT JOIN chunk_hits h ON h.row_no = p.row_no
    LEFT JOIN settled st ON st.row_no = p.row_no
    LEFT JOIN near n ON n.row_no = p.row_no;

  DROP TABLE rest_points;
  DROP TABLE chunk_hits;
  DROP TABLE chunk_points;
END
$fn$;
`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to the nine arguments the earlier code calls: the text migration 1764000000011 installed, verbatim.
    await q.query(`DROP FUNCTION c2r_geocode_points(bytea, integer[], integer, integer, integer, integer, integer[], float8, integer[], integer[])`);
    await q.query(`
CREATE OR REPLACE FUNCTION c2r_geocode_points(
  p_points bytea, p_offsets integer[], p_first_row integer, p_srid integer,
  p_set_id integer, p_deepest integer, p_shallower integer[], p_max_distance float8, p_candidates integer[])
RETURNS TABLE (o_row_no integer, o_boundary_id integer, o_result smallint, o_distance real, o_reason text)
LANGUAGE plpgsql AS $fn$
DECLARE
  polygon_driven boolean;
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

  polygon_driven := p_candidates IS NOT NULL
    OR cardinality(p_offsets) * 2 >= (SELECT count(*) FROM boundaries WHERE set_id = p_set_id AND level = p_deepest);
  -- No ANALYZE: it costs ~100 ms, and the join order is fixed below.
  IF polygon_driven THEN
    CREATE INDEX ON chunk_points USING gist (geom);
  END IF;

  RETURN QUERY
  WITH hits AS MATERIALIZED (
    SELECT h.row_no, min(h.boundary_id) AS boundary_id
      FROM boundaries b
      CROSS JOIN LATERAL (SELECT cp.row_no, b.id AS boundary_id FROM chunk_points cp
                           WHERE ST_Intersects(b.geom, cp.geom) OFFSET 0) h
     WHERE polygon_driven AND b.set_id = p_set_id AND b.level = p_deepest
       AND (p_candidates IS NULL OR b.id = ANY(p_candidates))
     GROUP BY h.row_no
    UNION ALL
    SELECT cp.row_no, h.boundary_id
      FROM chunk_points cp
      CROSS JOIN LATERAL (SELECT b.id AS boundary_id FROM boundaries b
                           WHERE b.set_id = p_set_id AND b.level = p_deepest AND ST_Intersects(b.geom, cp.geom)
                           ORDER BY b.id LIMIT 1) h
     WHERE NOT polygon_driven
  ),
  near AS MATERIALIZED (
    SELECT cl.row_no, near.boundary_id, nullif(near.d, 0) AS distance_m
      FROM chunk_points cl
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
      ) near
     WHERE cl.geom IS NOT NULL AND (cardinality(p_shallower) > 0 OR p_max_distance > 0)
       AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.row_no = cl.row_no)
  )
  SELECT p.row_no, coalesce(h.boundary_id, n.boundary_id),
         (CASE WHEN p.geom IS NULL THEN 3
               WHEN h.boundary_id IS NOT NULL THEN 0
               WHEN n.boundary_id IS NULL THEN 2
               WHEN n.distance_m IS NULL THEN 0
               ELSE 1 END)::smallint,
         n.distance_m::real, p.reason
    FROM chunk_points p
    LEFT JOIN hits h ON h.row_no = p.row_no
    LEFT JOIN near n ON n.row_no = p.row_no;

  DROP TABLE chunk_points;
END
$fn$`);
  }
}
