import type { DataSource } from 'typeorm';
import type { CatalogCache } from '../boundaries/catalog';
import { geocodeChunk, type ChunkInput, type GeocodedChunk } from './chunk-geocoder';
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
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalogs: CatalogCache,
    private readonly grids: InteriorGridCache,
  ) {}

  async geocode(target: GeocodeTarget, input: ChunkInput): Promise<GeocodedChunk> {
    const catalog = await this.catalogs.get(target.setId);
    const levelsDeepestFirst = catalog.levelsDeepestFirst;
    return geocodeChunk(this.dataSource.manager, {
      ...target,
      levelsDeepestFirst,
      input,
      grid: this.grids.get(target.setId),
      boxes: catalog.boxes(levelsDeepestFirst[0]),
    });
  }

  /**
   * Loads the set's interior grid, or starts building it in the background (a conversion does
   * this as it starts); chunks use it from the moment it is ready. Settles when it is.
   */
  async prepare(setId: number): Promise<void> {
    await this.grids.prepare(setId);
  }
}

/** One point as a chunk. */
export function onePoint(x: number, y: number): ChunkInput {
  return { xs: Float64Array.of(x), ys: Float64Array.of(y), invalidReasons: new Map() };
}
