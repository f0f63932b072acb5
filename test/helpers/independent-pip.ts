import fs from 'node:fs';
import path from 'node:path';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import proj4 from 'proj4';
import * as shapefile from 'shapefile';
import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import { ROOT } from './server';

/** EPSG:5179 (Korea 2000 / Unified CS), as PROJ defines it. */
proj4.defs('EPSG:5179', '+proj=tmerc +lat_0=38 +lon_0=127.5 +k=0.9996 +x_0=1000000 +y_0=2000000 +ellps=GRS80 +units=m +no_defs');

interface Indexed {
  code: string;
  bbox: [number, number, number, number];
  feature: Feature<Polygon | MultiPolygon>;
}

/**
 * A point-in-polygon over the bundled 읍면동 boundaries that shares nothing with the service:
 * proj4 instead of PROJ-in-PostGIS, turf instead of GEOS, the TopoJSON read directly. Tests
 * compare the service's codes with it.
 */
export class IndependentPip {
  private readonly polygons: Indexed[];

  /** Over the bundled 읍면동 of a census year, or over the given polygons (lon/lat), tried in order. */
  constructor(source: number | { code: string; feature: Feature<Polygon | MultiPolygon> }[] = 2018) {
    if (typeof source !== 'number') {
      this.polygons = source.map((p) => ({ ...p, bbox: bboxOf(p.feature) }));
      return;
    }
    const file = path.join(ROOT, `data/boundaries/skorea-submunicipalities-${source}-topo.json`);
    const topology = JSON.parse(fs.readFileSync(file, 'utf8')) as Topology;
    const fc = feature(topology, Object.values(topology.objects)[0]) as FeatureCollection<Polygon | MultiPolygon>;
    this.polygons = fc.features.map((f) => ({ code: String(f.properties!.code), bbox: bboxOf(f), feature: f }));
  }

  /**
   * Over TL_SCCO shapefiles (EPSG:5179), read with the shapefile package and proj4: 리 first, then
   * 읍면동, 시군구, 시도, so a point gets the deepest code that holds it, as the service answers.
   */
  static async fromTlScco(dir: string): Promise<IndependentPip> {
    const polygons: { code: string; feature: Feature<Polygon | MultiPolygon> }[] = [];
    for (const [name, field] of [['TL_SCCO_LI', 'LI_CD'], ['TL_SCCO_EMD', 'EMD_CD'], ['TL_SCCO_SIG', 'SIG_CD'], ['TL_SCCO_CTPRVN', 'CTPRVN_CD']]) {
      const source = await shapefile.open(path.join(dir, `${name}.shp`), path.join(dir, `${name}.dbf`), { encoding: 'euc-kr' });
      for (;;) {
        const next = await source.read();
        if (next.done) break;
        const f = next.value as Feature<Polygon | MultiPolygon>;
        const toLonLat = (ring: number[][]) => ring.map(([x, y]) => proj4('EPSG:5179', 'EPSG:4326', [x, y]));
        const geometry: Polygon | MultiPolygon =
          f.geometry.type === 'Polygon'
            ? { type: 'Polygon', coordinates: f.geometry.coordinates.map(toLonLat) }
            : { type: 'MultiPolygon', coordinates: f.geometry.coordinates.map((p) => p.map(toLonLat)) };
        polygons.push({ code: String(f.properties![field]), feature: { ...f, geometry } });
      }
    }
    return new IndependentPip(polygons);
  }

  /** The code of the 읍면동 containing the point (lon/lat, or EPSG:5179 when `srid` is 5179). */
  codeAt(x: number, y: number, srid = 4326): string | null {
    const [lon, lat] = srid === 5179 ? proj4('EPSG:5179', 'EPSG:4326', [x, y]) : [x, y];
    for (const p of this.polygons) {
      const [minX, minY, maxX, maxY] = p.bbox;
      if (lon < minX || lon > maxX || lat < minY || lat > maxY) continue;
      if (booleanPointInPolygon([lon, lat], p.feature)) return p.code;
    }
    return null;
  }
}

function bboxOf(f: Feature<Polygon | MultiPolygon>): [number, number, number, number] {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const rings = f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates.flat();
  for (const ring of rings) for (const [x, y] of ring) {
    minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  }
  return [minX, minY, maxX, maxY];
}
