import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * c2r_geocode_points decides the points a shallower level contains set-based (a polygon-driven
 * join over the shallower levels, as for the deepest), instead of one nearest search per point:
 * in a set in the official TL_SCCO layout every point in a 동 area the interior grid leaves over
 * went through that search. Same signature, same answers (a point with a deeper level's piece
 * within 1e-6° still goes through the nearest search).
 */
export class GeocodePointsShallowerJoin1764000000023 implements MigrationInterface {
  name = 'GeocodePointsShallowerJoin1764000000023';

  async up(q: QueryRunner): Promise<void> {
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
  shallow AS MATERIALIZED (
    SELECT DISTINCT ON (s.row_no) s.row_no, s.boundary_id, s.level
      FROM (
        SELECT h.row_no, b.id AS boundary_id, b.level
          FROM boundaries b
          CROSS JOIN LATERAL (SELECT cp.row_no FROM chunk_points cp
                               WHERE ST_Intersects(b.geom, cp.geom) OFFSET 0) h
         WHERE polygon_driven AND b.set_id = p_set_id AND b.level = ANY(p_shallower)
        UNION ALL
        SELECT cp.row_no, h.boundary_id, h.level
          FROM chunk_points cp
          CROSS JOIN LATERAL (SELECT b.id AS boundary_id, b.level FROM boundaries b
                               WHERE b.set_id = p_set_id AND b.level = ANY(p_shallower) AND ST_Intersects(b.geom, cp.geom)
                               ORDER BY b.level DESC, b.id LIMIT 1) h
         WHERE NOT polygon_driven AND NOT EXISTS (SELECT 1 FROM hits x WHERE x.row_no = cp.row_no)
      ) s
     WHERE cardinality(p_shallower) > 0 AND NOT EXISTS (SELECT 1 FROM hits x WHERE x.row_no = s.row_no)
     ORDER BY s.row_no, s.level DESC, s.boundary_id
  ),
  settled AS MATERIALIZED (
    SELECT s.row_no, s.boundary_id
      FROM shallow s JOIN chunk_points cp ON cp.row_no = s.row_no
     WHERE NOT EXISTS (SELECT 1 FROM boundary_pieces bp
                        WHERE bp.set_id = p_set_id AND bp.level > s.level
                          AND bp.geom && ST_Expand(cp.geom, 1e-6) AND ST_DWithin(bp.geom, cp.geom, 1e-6))
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
       AND NOT EXISTS (SELECT 1 FROM settled s WHERE s.row_no = cl.row_no)
  )
  SELECT p.row_no, coalesce(h.boundary_id, st.boundary_id, n.boundary_id),
         (CASE WHEN p.geom IS NULL THEN 3
               WHEN h.boundary_id IS NOT NULL OR st.boundary_id IS NOT NULL THEN 0
               WHEN n.boundary_id IS NULL THEN 2
               WHEN n.distance_m IS NULL THEN 0
               ELSE 1 END)::smallint,
         n.distance_m::real, p.reason
    FROM chunk_points p
    LEFT JOIN hits h ON h.row_no = p.row_no
    LEFT JOIN settled st ON st.row_no = p.row_no
    LEFT JOIN near n ON n.row_no = p.row_no;

  DROP TABLE chunk_points;
END
$fn$;
`);
  }

  async down(): Promise<void> {
    // The older code calls the function with the same arguments and gets the same answers.
  }
}
