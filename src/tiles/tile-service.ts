import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import { fromGeojsonVt, type TileFeature } from 'vt-pbf';
import type { BoundarySetService } from '../boundaries/set-service';

/** Tile coordinates per side, as ST_AsMVTGeom and MapLibre use them. */
const EXTENT = 4096;
/** Geometry kept beyond the tile's edge (in tile units), so outlines do not stop at tile seams. */
const BUFFER = 64;
/** Simplification in tile units: 1/16 of a screen pixel at 256 px tiles is invisible. */
const TOLERANCE = 1;
const MAX_ZOOM = 16;

/** The deepest level drawn at a zoom: 시도 from afar, 시군구 from z7, 읍면동 from z10, 리 from z12. */
export function levelsAtZoom(z: number, levels: number[]): number[] {
  const deepest = z >= 12 ? 4 : z >= 10 ? 3 : z >= 7 ? 2 : 1;
  return levels.filter((l) => l <= deepest);
}

export interface Tile {
  bytes: Buffer;
  /** Set version the tile was cut from (a re-import makes a new one, so old tiles stay right for their version). */
  setVersion: number;
}

/**
 * Mapbox Vector Tiles of a boundary set, one layer per level (`level1` 시도, `level2` 시군구, …),
 * each feature with its `code` and `name`. PostGIS clips each polygon to the tile (plus a
 * buffer), projects it to web mercator, scales it to tile units and simplifies it there, so
 * detail follows the zoom; ST_AsMVT encodes the layers. The embedded PostGIS (PGlite) is built
 * without protobuf-c and has no ST_AsMVT: there the same tile geometry is encoded by vt-pbf.
 * Tiles of a READY set version never change and are kept in a memory LRU.
 */
export class TileService {
  private readonly cache: LRUCache<string, Tile>;
  private mvtInDatabase: Promise<boolean> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sets: BoundarySetService,
    cacheEntries = 2000,
  ) {
    this.cache = new LRUCache({ max: cacheEntries });
  }

  /** Null when the coordinates name no tile (z beyond MAX_ZOOM, x or y outside 0..2^z-1). */
  async tile(setName: string, z: number, x: number, y: number, encoder: 'auto' | 'vt-pbf' = 'auto'): Promise<Tile | null> {
    if (![z, x, y].every(Number.isInteger) || z < 0 || z > MAX_ZOOM || x < 0 || y < 0 || x >= 2 ** z || y >= 2 ** z) return null;
    const set = await this.sets.resolve(setName);
    const key = `${set.id}/${z}/${x}/${y}/${encoder}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const levels = levelsAtZoom(z, set.levels.map((l) => l.level));
    const useDatabase = encoder === 'auto' && (await this.databaseHasMvt());
    const bytes = useDatabase ? await this.encodeInDatabase(set.id, z, x, y, levels) : await this.encodeHere(set.id, z, x, y, levels);
    const tile = { bytes, setVersion: set.version };
    this.cache.set(key, tile);
    return tile;
  }

  /** The tile's features per level, in tile units: clipped, projected, scaled, simplified, snapped. */
  private featuresSql(geometry: 'geojson' | 'geom'): string {
    const g = `ST_CollectionExtract(ST_ForcePolygonCCW(ST_SnapToGrid(ST_Simplify(
                 ST_Affine(ST_Transform(ST_ClipByBox2D(b.geom, k.clip), 3857), k.s, 0, 0, -k.s, -k.x0 * k.s, k.y1 * k.s),
                 ${TOLERANCE}, true), 1)), 3)`;
    return `
      WITH t AS (SELECT ST_TileEnvelope($2, $3, $4) AS env),
      k AS (SELECT ST_XMin(env) AS x0, ST_YMax(env) AS y1, ${EXTENT} / (ST_XMax(env) - ST_XMin(env)) AS s,
                   ST_Transform(ST_Expand(env, (ST_XMax(env) - ST_XMin(env)) * ${BUFFER} / ${EXTENT}), 4326)::box2d AS clip
              FROM t)
      SELECT b.level, b.code, b.name, ${geometry === 'geojson' ? 'ST_AsGeoJSON(q.g) AS geojson' : 'q.g AS geom'}
        FROM k, boundaries b
        CROSS JOIN LATERAL (SELECT ${g} AS g) q
       WHERE b.set_id = $1 AND b.level = ANY($5::int[]) AND b.geom && k.clip AND NOT ST_IsEmpty(q.g)
       ORDER BY b.level, b.code`;
  }

  private async encodeInDatabase(setId: number, z: number, x: number, y: number, levels: number[]): Promise<Buffer> {
    const [row] = await this.dataSource.query(
      `WITH f AS (${this.featuresSql('geom')}),
       layers AS (SELECT ST_AsMVT(l, 'level' || l.level, ${EXTENT}, 'geom') AS mvt
                    FROM (SELECT level, code, name, geom FROM f) l GROUP BY l.level)
       SELECT coalesce(string_agg(mvt, ''::bytea), ''::bytea) AS bytes FROM layers`,
      [setId, z, x, y, levels],
    );
    return row.bytes as Buffer;
  }

  private async encodeHere(setId: number, z: number, x: number, y: number, levels: number[]): Promise<Buffer> {
    const rows: { level: number; code: string; name: string; geojson: string }[] = await this.dataSource.query(this.featuresSql('geojson'), [
      setId,
      z,
      x,
      y,
      levels,
    ]);
    const layers: Record<string, { features: TileFeature[] }> = {};
    for (const r of rows) {
      const geometry = JSON.parse(r.geojson) as { type: string; coordinates: number[][][] | number[][][][] };
      const polygons = (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) as number[][][][];
      const rings = polygons.flat().map((ring) => ring.map(([px, py]) => [px, py] as [number, number]));
      if (rings.length === 0) continue;
      (layers[`level${r.level}`] ??= { features: [] }).features.push({ type: 3, geometry: rings, tags: { code: r.code, name: r.name, level: r.level } });
    }
    return Buffer.from(fromGeojsonVt(layers, { version: 2, extent: EXTENT }));
  }

  /** Whether the database's PostGIS can encode tiles (ST_AsMVT needs PostGIS built with protobuf-c). */
  private databaseHasMvt(): Promise<boolean> {
    this.mvtInDatabase ??= this.dataSource
      .query(`SELECT ST_AsMVT(t, 'probe') FROM (SELECT 1 AS id, ST_GeomFromText('POINT(1 1)') AS geom) t`)
      .then(
        () => true,
        () => false,
      );
    return this.mvtInDatabase;
  }
}
