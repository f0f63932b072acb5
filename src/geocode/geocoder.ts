import type { DataSource } from 'typeorm';
import type { BoundaryCatalog, CatalogCache } from '../boundaries/catalog';
import { buildBoundaryPieces } from './boundary-pieces';
import { geocodeChunk, type ChunkInput, type GeocodedChunk } from './chunk-geocoder';
import type { InteriorGrid } from './interior-grid';
import type { InteriorGridCache } from './interior-grid-cache';

/** Where and how a chunk's points are looked up. */
export interface GeocodeTarget {
  setId: number;
  /** EPSG code of the points' coordinates. */
  srid: number;
  maxDistanceMeters: number;
}

/**
 * The one way points are geocoded: conversions chunk by chunk, previews a sheet's first rows,
 * reverseGeocode a chunk of one. Each chunk gets the set's levels, the set's interior grid when
 * it is in memory and the deepest level's polygon boxes, so every caller answers exactly as a
 * conversion does.
 */
export class Geocoder {
  private readonly stopping = new AbortController();

  constructor(
    private readonly dataSource: DataSource,
    private readonly catalogs: CatalogCache,
    private readonly grids: InteriorGridCache,
  ) {}

  /**
   * Geocodes against the set version; from the first call on, the version's interior grid is
   * loaded (or built in the background) and used by the chunks after it is ready. This is the one
   * place a conversion's grids are prepared: each set of the plan, and for rows dated by a column
   * each version as rows first use it, with nothing for the callers to remember.
   */
  async geocode(target: GeocodeTarget, input: ChunkInput): Promise<GeocodedChunk> {
    void this.grids.prepare(target.setId);
    const catalog = await this.catalogs.get(target.setId);
    const levelsDeepestFirst = catalog.levelsDeepestFirst;
    const grid = this.grids.get(target.setId);
    return geocodeChunk(this.dataSource.manager, {
      ...target,
      levelsDeepestFirst,
      input,
      grid,
      boxes: catalog.boxes(levelsDeepestFirst[0]),
      shallowerBoxes: levelsDeepestFirst.length > 1 && midLevelStepPays(catalog, grid) ? catalog.boxes(levelsDeepestFirst[1]) : null,
    });
  }

  /**
   * Loads the set's interior grid, or starts building it in the background, then makes sure the
   * set's boundary pieces are cut, in small transactions (a grid that was prebuilt or stored
   * skips the build that would have cut them, and the first chunk needing them would otherwise
   * cut them all in one transaction: 20 s holding the embedded database's one connection).
   * Chunks use the grid from the moment it is ready. Settles when both are done (never rejects,
   * and stops early after close()). geocode() prepares the grid itself; this is for whoever wants
   * to wait (the server's warm-up, the CLI after an import).
   */
  async prepare(setId: number): Promise<void> {
    await this.grids.prepare(setId);
    if (this.stopping.signal.aborted) return;
    await buildBoundaryPieces(this.dataSource, setId, this.stopping.signal).catch(() => {
      // Stopped, or the database went away: the first chunk that needs the pieces cuts them.
    });
  }

  /** Stops prepare()'s work between two transactions, so the database can close. */
  close(): void {
    this.stopping.abort();
  }
}

/** midLevelStepPays by grid: worked out once per grid. */
const midLevelAnswers = new WeakMap<InteriorGrid, boolean>();

/**
 * Whether c2r_geocode_points' step 3 (the points no deepest polygon holds, against the next level
 * up, polygon-driven) can settle points of this set: only where a shallower level has area the
 * deepest level leaves uncovered, as 동 without 리 in the official TL_SCCO layout. The set's
 * interior grid knows: it labels cells with a shallower polygon exactly in such areas
 * (interior-grid-build.ts). A set whose grid labels none (KOSTAT: 읍면동 tile every 시군구) skips
 * the step, which there read every candidate 시군구 whole for a chunk's few leftover points (60
 * of the 144 ms a 25,000-row chunk spent in PostGIS) and settled none; the nearest search
 * (step 4) gives those points the same answer, as it does wherever step 3 is not run. Without a
 * grid (not ready yet, or turned off) the step runs.
 */
export function midLevelStepPays(catalog: BoundaryCatalog, grid: InteriorGrid | null): boolean {
  if (!grid) return true;
  let pays = midLevelAnswers.get(grid);
  if (pays === undefined) {
    pays = false;
    const deepest = catalog.levelsDeepestFirst[0];
    const slots = grid.slots;
    let last = 0;
    for (let k = 0; k < slots.length; k++) {
      const v = slots[k];
      // Labels are ids (> 0); runs of one id are common, so each run is looked up once.
      if (v <= 0 || v === last) continue;
      last = v;
      const entry = catalog.get(v);
      if (entry && entry.level !== deepest) {
        pays = true;
        break;
      }
    }
    midLevelAnswers.set(grid, pays);
  }
  return pays;
}

/** One point as a chunk. */
export function onePoint(x: number, y: number): ChunkInput {
  return { xs: Float64Array.of(x), ys: Float64Array.of(y), invalidReasons: new Map() };
}
