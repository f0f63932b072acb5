-- c2r_geocode_points: the PostGIS side of a chunk, as one statement. As a dozen statements from
-- the server, each would be sent only once the previous reply had been handled, and while the
-- server writes the previous chunk every reply waits for a turn of its event loop.
--
-- Given the points (one WKB MultiPoint, point k being row p_first_row + p_offsets[k]), it returns
-- one row per point:
--
-- 1. stage the points in EPSG:4326 in a temporary table. The whole chunk is transformed at once;
--    if PROJ rejects a point (outside the projection's domain) the chunk is staged again through
--    c2r_try_transform, so only the offending rows come back INVALID;
-- 2. match the deepest level, polygon-driven: the outer loop runs over the level's polygons, each
--    probing a GiST index on the points once, so PostGIS prepares each polygon once and tests only
--    the points in its box. Its cost is mostly a probe per polygon (~10 µs each), so only the
--    polygons in p_candidates are tried when the caller knows which can hold a point (their boxes
--    do, see polygon-boxes.ts). Without candidates, for fewer points than half the polygons,
--    point-driven instead: each point probes the boundaries' index (~45 µs a point). Both are
--    spelled as LATERAL joins so the planner keeps the chosen order (at 2,600 points it picked
--    point-driven, taking 40% longer);
-- 3. the points left, against the next level up (p_shallower[1]: the 읍면동 of a set in the
--    official TL_SCCO layout, whose 리 cover only 읍/면), polygon-driven like step 2 over the
--    polygons in p_mid_candidates (whose box holds a point), staged with an index of their own so
--    the join sees only them: the lowest id among those that contain a point, as step 4 would
--    rank them. A point within 1e-6° (at least 8 cm, more than step 4's 1 cm) of a deepest-level
--    polygon is left to step 4, which may call it NEAREST to that polygon (p_candidates then hold
--    the deepest polygons whose box is within 1e-6° of a point). In the TL_SCCO layout every point
--    in a 동 that the interior grid leaves over came to step 4, one search of every piece around it
--    each: a chunk took three times as long as a KOSTAT one. Without p_mid_candidates, no step 3;
-- 4. the points no deepest polygon contains (at sea, in gaps, on a border), one at a time because
--    they are few, against boundary_pieces (small pieces with tight boxes; whole provinces took
--    ~10 ms a point). A piece of a shallower level that contains the point counts as distance 0,
--    so the deepest containing level wins (OK); else the closest polygon within p_max_distance,
--    the deepest level among those within 1 cm of the closest (NEAREST). A 리 and the 읍면동,
--    시군구 and 시도 it lies in share the border the point is near, their distances differing only
--    by float noise, and a bare ORDER BY d, level DESC handed the point to whichever level computed
--    shortest, often the 시도; within 1 cm the deepest level gives the region an exact hit would.
--    Distances are measured on the WGS 84 spheroid (ST_DistanceSpheroid: what ST_Distance on
--    geography gives, within nanometres, without two geography casts per candidate). The boxes and
--    the planar test in degrees are supersets of that distance (a degree of longitude is at most
--    111,320 m, of latitude at least 110,540 m); the spheroid distance decides. The caller makes
--    sure the set's pieces exist.
--
-- Steps 3 and 4 are one query (CTEs, not temporary tables: each of those cost a create and a drop);
-- step 2's matches are a temporary table, so step 3 can index the points left over.
-- o_result is a code of result-codes.ts: 0 OK, 1 NEAREST, 2 NO_MATCH, 3 INVALID.
--
-- This is the text the migrations leave installed (migration 1764000000023), and the server
-- checks at start that the database holds exactly it (src/db/function-drift.ts). To change the
-- function, change this file and add a migration that carries the whole new text.
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
