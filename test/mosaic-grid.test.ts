import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BoundaryCatalog } from '../src/boundaries/catalog';
import { importBoundaryFiles } from '../src/boundaries/import-files';
import { geocodeChunk, resultAt, type ChunkInput, type ChunkRequest, type GeocodedChunk } from '../src/geocode/chunk-geocoder';
import { GRID_MAX_Z, GRID_ORIGIN_X, GRID_ORIGIN_Y, type InteriorGrid } from '../src/geocode/interior-grid';
import { InteriorGridCache } from '../src/geocode/interior-grid-cache';
import { createLogger } from '../src/logger';
import { seededRandom } from '../bench/generate-csv';
import { dropBoundarySets } from './helpers/database';
import { FIXTURES, onPostgres, startTestServer, type TestServer } from './helpers/server';

const TL = path.join(FIXTURES, 'tl-scco');
const FILES = ['CTPRVN', 'SIG', 'EMD', 'LI'].map((l) => path.join(TL, `TL_SCCO_${l}.shp`));
const SET = 'tl-scco-mosaic';

/**
 * The interior grid of a set in the official TL_SCCO layout (리 only under 읍/면, 동 without 리) is
 * one mosaic of leaf polygons: it decides points in 동 areas at the 읍면동 level and points in
 * 읍/면 at the 리 level, and every answer is the one PostGIS gives over every polygon (deepest
 * containing level, then NEAREST), row for row.
 */
describe(`mosaic interior grid on the TL_SCCO fixture against PostGIS alone (${onPostgres ? 'PostgreSQL' : 'embedded'})`, () => {
  let server: TestServer;
  let setId: number;
  let grid: InteriorGrid;
  let base: Omit<ChunkRequest, 'input' | 'srid' | 'maxDistanceMeters'>;
  let catalog: BoundaryCatalog;

  before(async () => {
    server = await startTestServer({ DEFAULT_BOUNDARY_SET: 'kostat-2018' }, { startWorker: false });
    await dropBoundarySets(server.db, [SET]);
    ({ report: { setId } } = await importBoundaryFiles(server.db.dataSource, FILES, { set: SET }));
    const grids = new InteriorGridCache(server.db.dataSource, createLogger('error'));
    await grids.prepare(setId);
    assert.equal(grids.state(setId), 'ready');
    grid = grids.get(setId)!;
    catalog = await BoundaryCatalog.load(server.db.dataSource, setId);
    base = { setId, levelsDeepestFirst: catalog.levelsDeepestFirst };
  });
  after(async () => {
    if (!server) return;
    await dropBoundarySets(server.db, [SET]);
    await server.close();
  });

  async function compare(input: ChunkInput, maxDistanceMeters: number): Promise<GeocodedChunk> {
    const geocode = (request: ChunkRequest) => geocodeChunk(server.db.dataSource.manager, request);
    const withGrid = await geocode({ ...base, input, srid: 4326, maxDistanceMeters, grid, boxes: catalog.boxes(base.levelsDeepestFirst[0]), shallowerBoxes: catalog.boxes(base.levelsDeepestFirst[1]) });
    const postgisOnly = await geocode({ ...base, input, srid: 4326, maxDistanceMeters, grid: null, boxes: null });
    assert.equal(postgisOnly.gridMatches, 0);
    for (let i = 0; i < input.xs.length; i++) {
      assert.deepEqual(resultAt(withGrid, i), resultAt(postgisOnly, i), `row ${i} at (${input.xs[i]}, ${input.ys[i]}), max ${maxDistanceMeters} m`);
    }
    return withGrid;
  }

  const asInput = (points: number[][]): ChunkInput => ({
    xs: Float64Array.from(points, ([x]) => x),
    ys: Float64Array.from(points, ([, y]) => y),
    invalidReasons: new Map(),
  });

  test('points spread over the fixture’s 시군구: same results; the grid decides 리 and 동 points alike', async () => {
    // Uniform in each 시군구's box: inside 리, inside 동 without 리, at sea, in other 시군구's gaps.
    const boxes: { xmin: number; ymin: number; xmax: number; ymax: number }[] = await server.db.dataSource.query(
      `SELECT ST_XMin(geom) AS xmin, ST_YMin(geom) AS ymin, ST_XMax(geom) AS xmax, ST_YMax(geom) AS ymax
         FROM boundaries WHERE set_id = $1 AND level = 2 ORDER BY code`,
      [setId],
    );
    const random = seededRandom(16);
    const points = boxes.flatMap((b) => Array.from({ length: 3_000 }, () => [b.xmin + (b.xmax - b.xmin) * random(), b.ymin + (b.ymax - b.ymin) * random()]));
    const outcome = await compare(asInput(points), 200);
    const decided = { li: 0, dong: 0 };
    const byGrid = asInput(points);
    // Which level the grid decided: look the points up in the grid alone.
    for (let i = 0; i < points.length; i++) {
      const id = grid.lookup(byGrid.xs[i], byGrid.ys[i]);
      if (id > 0) decided[catalog.get(id)!.level === 4 ? 'li' : 'dong']++;
    }
    assert.ok(decided.li > 1_000 && decided.dong > 1_000, `the grid decided ${decided.li} 리 and ${decided.dong} shallower points`);
    assert.ok(outcome.gridMatches > 0.7 * points.length, `the grid decided ${outcome.gridMatches} of ${points.length}`);
  });

  test('points on and near every level’s vertices and on cell corners: same results, with and without NEAREST', async () => {
    const vertices: { x: number; y: number }[] = await server.db.dataSource.query(
      `SELECT x, y FROM (
         SELECT ST_X(d.geom) AS x, ST_Y(d.geom) AS y, row_number() OVER (ORDER BY b.level, b.id, d.path) AS n
           FROM boundaries b CROSS JOIN LATERAL ST_DumpPoints(b.geom) d WHERE b.set_id = $1) v
        WHERE n % 7 = 0`,
      [setId],
    );
    const random = seededRandom(17);
    const reach = [0, 0.004, 0.05, 1, 30, 300];
    const points = vertices.map(({ x, y }, i) => {
      const metres = reach[i % reach.length] * random();
      const angle = 2 * Math.PI * random();
      return [x + (metres * Math.cos(angle)) / (111_320 * Math.cos((y * Math.PI) / 180)), y + (metres * Math.sin(angle)) / 110_540];
    });
    // The corners of the finest cells holding some of them: exactly where cells meet.
    const cell = 2 ** -GRID_MAX_Z;
    for (const [x, y] of points.slice(0, 3_000)) {
      points.push([GRID_ORIGIN_X + Math.floor((x - GRID_ORIGIN_X) / cell) * cell, GRID_ORIGIN_Y + Math.floor((y - GRID_ORIGIN_Y) / cell) * cell]);
    }
    assert.ok(points.length > 5_000, `${points.length} points`);
    for (let from = 0; from < points.length; from += 5_000) {
      const input = asInput(points.slice(from, from + 5_000));
      await compare(input, 200);
      await compare(input, 0);
    }
  });
});
