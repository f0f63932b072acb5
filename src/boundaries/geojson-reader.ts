import fs from 'node:fs/promises';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature as topoFeature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import { UserInputError } from '../errors';
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

export interface GeoJsonInfo {
  format: 'GeoJSON' | 'TopoJSON';
  featureCount: number;
  /** Property names of the first feature. */
  properties: string[];
  firstProperties: Record<string, unknown>;
  /** EPSG code from an old-style (2008) `crs` member, when there is one. */
  declaredSrid: number | null;
  /** The first coordinate, to tell lon/lat from projected metres. */
  firstCoordinate: [number, number] | null;
}

/** Reads a GeoJSON/TopoJSON file once to see its properties and CRS, so levels and fields can be chosen. */
export async function inspectGeoJson(file: string): Promise<GeoJsonInfo> {
  let json: { type?: string; crs?: { properties?: { name?: unknown } } };
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new UserInputError(`${file}: not valid JSON (${(err as Error).message})`, 'BAD_BOUNDARY_FILE');
  }
  const features = toFeatures(json, file);
  const first = features.find((f) => f.geometry) ?? features[0];
  const props = (first?.properties ?? {}) as Record<string, unknown>;
  return {
    format: json.type === 'Topology' ? 'TopoJSON' : 'GeoJSON',
    featureCount: features.length,
    properties: Object.keys(props),
    firstProperties: props,
    declaredSrid: sridFromCrsName(json.crs?.properties?.name),
    firstCoordinate: first?.geometry ? firstCoordinate(first.geometry) : null,
  };
}

/** `EPSG:5179`, `urn:ogc:def:crs:EPSG::5179`, `urn:ogc:def:crs:OGC:1.3:CRS84` (= lon/lat, 4326). */
function sridFromCrsName(name: unknown): number | null {
  if (typeof name !== 'string') return null;
  if (/CRS84$/i.test(name)) return 4326;
  const m = /EPSG:+(?:[\d.]*:)?(\d+)$/i.exec(name);
  return m ? Number(m[1]) : null;
}

function firstCoordinate(g: Geometry): [number, number] | null {
  let c: unknown = 'coordinates' in g ? g.coordinates : null;
  while (Array.isArray(c) && Array.isArray(c[0])) c = c[0];
  return Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number' ? [c[0], c[1]] : null;
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
  throw new UserInputError(`${file} is neither GeoJSON nor TopoJSON (type is ${JSON.stringify(json.type)})`, 'BAD_BOUNDARY_FILE');
}
