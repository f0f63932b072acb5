-- c2r_try_transform: ST_Transform, or NULL where PROJ rejects the point (outside the projection's
-- domain), so that one bad row does not fail a whole chunk. Each call opens a subtransaction, so
-- c2r_geocode_points uses it only when the fast, unguarded transform of a chunk failed.
--
-- The text migration 1764000000001 installed; the server checks at start that the database holds
-- exactly it (src/db/function-drift.ts). To change it, change this file and add a migration that
-- carries the whole new text.
CREATE OR REPLACE FUNCTION c2r_try_transform(g geometry, srid integer) RETURNS geometry
      LANGUAGE plpgsql IMMUTABLE STRICT AS $$
      BEGIN
        RETURN ST_Transform(g, srid);
      EXCEPTION WHEN OTHERS THEN
        RETURN NULL;
      END $$;
