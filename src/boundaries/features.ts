import type { Geometry } from 'geojson';

/** One polygon as every reader hands it to the importer, before it reaches PostGIS. */
export interface BoundaryFeature {
  code: string;
  name: string;
  geometry: Geometry;
}

/** One level of a set to import: where its features come from and what the output calls it. */
export interface LevelSource {
  level: number;
  name: string;
  /** EPSG code of the coordinates as read from the file. */
  srid: number;
  /** A short description for reports, e.g. the file name. */
  origin: string;
  features(): AsyncIterable<BoundaryFeature>;
}
