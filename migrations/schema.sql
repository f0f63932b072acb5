--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: postgis; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;


--
-- Name: EXTENSION postgis; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION postgis IS 'PostGIS geometry and geography spatial types and functions';


--
-- Name: c2r_geocode_points(bytea, integer[], integer, integer, integer, integer, integer[], double precision, integer[], integer[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.c2r_geocode_points(p_points bytea, p_offsets integer[], p_first_row integer, p_srid integer, p_set_id integer, p_deepest integer, p_shallower integer[], p_max_distance double precision, p_candidates integer[], p_mid_candidates integer[]) RETURNS TABLE(o_row_no integer, o_boundary_id integer, o_result smallint, o_distance real, o_reason text)
    LANGUAGE plpgsql
    AS $$
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
$$;


--
-- Name: c2r_try_transform(public.geometry, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.c2r_try_transform(g public.geometry, srid integer) RETURNS public.geometry
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $$
      BEGIN
        RETURN ST_Transform(g, srid);
      EXCEPTION WHEN OTHERS THEN
        RETURN NULL;
      END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: boundaries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.boundaries (
    id integer NOT NULL,
    set_id integer NOT NULL,
    level smallint NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    parent_id integer,
    names text[],
    codes text[],
    geom public.geometry(MultiPolygon,4326) NOT NULL
);


--
-- Name: boundaries_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.boundaries_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: boundaries_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.boundaries_id_seq OWNED BY public.boundaries.id;


--
-- Name: boundary_grids; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.boundary_grids (
    set_id integer NOT NULL,
    level smallint NOT NULL,
    format integer NOT NULL,
    cells integer NOT NULL,
    build_ms integer NOT NULL,
    tree bytea NOT NULL,
    built_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.boundary_grids ALTER COLUMN tree SET STORAGE EXTERNAL;


--
-- Name: boundary_pieces; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.boundary_pieces (
    set_id integer NOT NULL,
    boundary_id integer NOT NULL,
    level smallint NOT NULL,
    geom public.geometry(Geometry,4326) NOT NULL
);


--
-- Name: boundary_pieces_built; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.boundary_pieces_built (
    set_id integer NOT NULL,
    built_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: boundary_sets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.boundary_sets (
    id integer NOT NULL,
    name text NOT NULL,
    version integer NOT NULL,
    source text NOT NULL,
    source_srid integer NOT NULL,
    levels jsonb DEFAULT '[]'::jsonb NOT NULL,
    status text NOT NULL,
    is_current boolean DEFAULT false NOT NULL,
    loaded_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    valid_from date,
    label text,
    CONSTRAINT boundary_sets_status_check CHECK ((status = ANY (ARRAY['LOADING'::text, 'READY'::text, 'RETIRED'::text])))
);


--
-- Name: boundary_sets_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.boundary_sets_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: boundary_sets_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.boundary_sets_id_seq OWNED BY public.boundary_sets.id;


--
-- Name: conversion_chunk_summaries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conversion_chunk_summaries (
    conversion_id uuid NOT NULL,
    first_row integer NOT NULL,
    sheet text NOT NULL,
    srid integer NOT NULL,
    region_ids integer[] NOT NULL,
    region_rows integer[] NOT NULL,
    problem_count integer NOT NULL,
    problem_row_numbers integer[] NOT NULL,
    problem_results smallint[] NOT NULL,
    problem_xs double precision[] NOT NULL,
    problem_ys double precision[] NOT NULL,
    problem_reasons text[] NOT NULL,
    problem_distances real[] NOT NULL
);


--
-- Name: conversion_chunks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conversion_chunks (
    conversion_id uuid NOT NULL,
    first_row integer NOT NULL,
    row_count integer NOT NULL,
    boundary_ids bytea NOT NULL,
    results bytea NOT NULL,
    note_offsets integer[] NOT NULL,
    note_distances real[] NOT NULL,
    note_reasons text[] NOT NULL
);


--
-- Name: conversions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conversions (
    id uuid NOT NULL,
    file_name text NOT NULL,
    upload_key text NOT NULL,
    file_size bigint NOT NULL,
    options jsonb NOT NULL,
    status text NOT NULL,
    phase text NOT NULL,
    total_rows integer,
    processed_rows integer DEFAULT 0 NOT NULL,
    matched_rows integer DEFAULT 0 NOT NULL,
    nearest_rows integer DEFAULT 0 NOT NULL,
    unmatched_rows integer DEFAULT 0 NOT NULL,
    invalid_rows integer DEFAULT 0 NOT NULL,
    error text,
    boundary_set_id integer,
    detected jsonb,
    output_key text,
    timings jsonb,
    worker_id text,
    lease_expires_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    error_code text,
    owner text,
    read_rows integer DEFAULT 0 NOT NULL,
    written_rows integer DEFAULT 0 NOT NULL,
    CONSTRAINT conversions_status_check CHECK ((status = ANY (ARRAY['QUEUED'::text, 'RUNNING'::text, 'COMPLETED'::text, 'FAILED'::text, 'CANCELLED'::text, 'EXPIRED'::text])))
);


--
-- Name: service_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.service_settings (
    name text NOT NULL,
    value text NOT NULL
);


--
-- Name: typeorm_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.typeorm_migrations (
    id integer NOT NULL,
    "timestamp" bigint NOT NULL,
    name character varying NOT NULL
);


--
-- Name: typeorm_migrations_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.typeorm_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: typeorm_migrations_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.typeorm_migrations_id_seq OWNED BY public.typeorm_migrations.id;


--
-- Name: boundaries id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundaries ALTER COLUMN id SET DEFAULT nextval('public.boundaries_id_seq'::regclass);


--
-- Name: boundary_sets id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_sets ALTER COLUMN id SET DEFAULT nextval('public.boundary_sets_id_seq'::regclass);


--
-- Name: typeorm_migrations id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.typeorm_migrations ALTER COLUMN id SET DEFAULT nextval('public.typeorm_migrations_id_seq'::regclass);


--
-- Name: typeorm_migrations PK_bb2f075707dd300ba86d0208923; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.typeorm_migrations
    ADD CONSTRAINT "PK_bb2f075707dd300ba86d0208923" PRIMARY KEY (id);


--
-- Name: boundaries boundaries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundaries
    ADD CONSTRAINT boundaries_pkey PRIMARY KEY (id);


--
-- Name: boundary_grids boundary_grids_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_grids
    ADD CONSTRAINT boundary_grids_pkey PRIMARY KEY (set_id, level, format);


--
-- Name: boundary_pieces_built boundary_pieces_built_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_pieces_built
    ADD CONSTRAINT boundary_pieces_built_pkey PRIMARY KEY (set_id);


--
-- Name: boundary_sets boundary_sets_name_version_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_sets
    ADD CONSTRAINT boundary_sets_name_version_key UNIQUE (name, version);


--
-- Name: boundary_sets boundary_sets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_sets
    ADD CONSTRAINT boundary_sets_pkey PRIMARY KEY (id);


--
-- Name: conversion_chunk_summaries conversion_chunk_summaries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversion_chunk_summaries
    ADD CONSTRAINT conversion_chunk_summaries_pkey PRIMARY KEY (conversion_id, first_row);


--
-- Name: conversion_chunks conversion_chunks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversion_chunks
    ADD CONSTRAINT conversion_chunks_pkey PRIMARY KEY (conversion_id, first_row);


--
-- Name: conversions conversions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversions
    ADD CONSTRAINT conversions_pkey PRIMARY KEY (id);


--
-- Name: service_settings service_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.service_settings
    ADD CONSTRAINT service_settings_pkey PRIMARY KEY (name);


--
-- Name: boundaries_geom; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX boundaries_geom ON public.boundaries USING gist (geom);


--
-- Name: boundaries_set_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX boundaries_set_code ON public.boundaries USING btree (set_id, code);


--
-- Name: boundaries_set_level; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX boundaries_set_level ON public.boundaries USING btree (set_id, level);


--
-- Name: boundary_pieces_boundary; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX boundary_pieces_boundary ON public.boundary_pieces USING btree (boundary_id);


--
-- Name: boundary_pieces_geom; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX boundary_pieces_geom ON public.boundary_pieces USING gist (geom);


--
-- Name: boundary_sets_current; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX boundary_sets_current ON public.boundary_sets USING btree (name, COALESCE(valid_from, '0001-01-01'::date)) WHERE is_current;


--
-- Name: conversions_claimable; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversions_claimable ON public.conversions USING btree (created_at) WHERE (status = ANY (ARRAY['QUEUED'::text, 'RUNNING'::text]));


--
-- Name: conversions_completed_finished; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversions_completed_finished ON public.conversions USING btree (finished_at) WHERE (status = 'COMPLETED'::text);


--
-- Name: conversions_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversions_created ON public.conversions USING btree (created_at DESC, id DESC);


--
-- Name: conversions_owner_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversions_owner_created ON public.conversions USING btree (owner, created_at DESC, id DESC);


--
-- Name: boundaries boundaries_set_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundaries
    ADD CONSTRAINT boundaries_set_id_fkey FOREIGN KEY (set_id) REFERENCES public.boundary_sets(id) ON DELETE CASCADE;


--
-- Name: boundary_grids boundary_grids_set_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_grids
    ADD CONSTRAINT boundary_grids_set_id_fkey FOREIGN KEY (set_id) REFERENCES public.boundary_sets(id) ON DELETE CASCADE;


--
-- Name: boundary_pieces boundary_pieces_boundary_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_pieces
    ADD CONSTRAINT boundary_pieces_boundary_id_fkey FOREIGN KEY (boundary_id) REFERENCES public.boundaries(id) ON DELETE CASCADE;


--
-- Name: boundary_pieces_built boundary_pieces_built_set_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_pieces_built
    ADD CONSTRAINT boundary_pieces_built_set_id_fkey FOREIGN KEY (set_id) REFERENCES public.boundary_sets(id) ON DELETE CASCADE;


--
-- Name: boundary_pieces boundary_pieces_set_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.boundary_pieces
    ADD CONSTRAINT boundary_pieces_set_id_fkey FOREIGN KEY (set_id) REFERENCES public.boundary_sets(id) ON DELETE CASCADE;


--
-- Name: conversion_chunk_summaries conversion_chunk_summaries_conversion_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversion_chunk_summaries
    ADD CONSTRAINT conversion_chunk_summaries_conversion_id_fkey FOREIGN KEY (conversion_id) REFERENCES public.conversions(id) ON DELETE CASCADE;


--
-- Name: conversion_chunks conversion_chunks_conversion_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversion_chunks
    ADD CONSTRAINT conversion_chunks_conversion_id_fkey FOREIGN KEY (conversion_id) REFERENCES public.conversions(id) ON DELETE CASCADE;


--
-- Name: conversions conversions_boundary_set_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversions
    ADD CONSTRAINT conversions_boundary_set_id_fkey FOREIGN KEY (boundary_set_id) REFERENCES public.boundary_sets(id);


--
-- PostgreSQL database dump complete
--


