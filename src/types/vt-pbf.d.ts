declare module 'vt-pbf' {
  /** A feature as geojson-vt makes it: type 3 (polygon) with rings of [x, y] in tile coordinates. */
  export interface TileFeature {
    type: 1 | 2 | 3;
    geometry: [number, number][][];
    tags: Record<string, string | number | boolean>;
    id?: number;
  }
  export function fromGeojsonVt(
    layers: Record<string, { features: TileFeature[] }>,
    options?: { version?: number; extent?: number },
  ): Uint8Array;
}
