import fs from 'node:fs/promises';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature as topoFeature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import type { BoundaryFeature } from './features';

export interface PropertyMapping {
  codeField: string;
  nameField: string;
  /** Applied to every name, e.g. to split KOSTAT's joined `수원시장안구`. */
  normalizeName?: (name: string) => string;
}

/**
 * Reads a GeoJSON FeatureCollection or a TopoJSON topology (every object in it) and yields its
 * polygons with code and name taken from the given properties. Features without a polygon, a code
 * or a name are reported through `onSkip`, not silently dropped.
 */
export async function* readGeoJsonFeatures(
  file: string,
  mapping: PropertyMapping,
  onSkip: (why: string) => void = () => {},
): AsyncGenerator<BoundaryFeature> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as { type?: string };
  for (const f of toFeatures(json, file)) {
    const props = f.properties ?? {};
    const code = props[mapping.codeField];
    const rawName = props[mapping.nameField];
    if (!f.geometry || !['Polygon', 'MultiPolygon'].includes(f.geometry.type)) {
      onSkip(`feature ${code ?? '?'} has no polygon geometry`);
      continue;
    }
    if (code === undefined || code === null || code === '' || rawName === undefined || rawName === null) {
      onSkip(`a feature lacks ${mapping.codeField} or ${mapping.nameField}`);
      continue;
    }
    const name = String(rawName).trim();
    yield { code: String(code).trim(), name: mapping.normalizeName ? mapping.normalizeName(name) : name, geometry: f.geometry };
  }
}

function toFeatures(json: { type?: string }, file: string): Feature<Geometry | null>[] {
  if (json.type === 'Topology') {
    const topology = json as unknown as Topology;
    return Object.values(topology.objects).flatMap((object) => {
      const result = topoFeature(topology, object) as FeatureCollection | Feature;
      return result.type === 'FeatureCollection' ? result.features : [result];
    });
  }
  if (json.type === 'FeatureCollection') return (json as FeatureCollection).features;
  if (json.type === 'Feature') return [json as Feature];
  throw new Error(`${file} is neither GeoJSON nor TopoJSON (type is ${JSON.stringify(json.type)})`);
}
