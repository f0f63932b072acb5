import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BoundaryCatalog } from '../src/boundaries/catalog';
import { deepestLevel } from '../src/boundaries/set-service';
import { geocodeChunk, resultAt, type ChunkInput, type ChunkRequest, type GeocodedChunk } from '../src/geocode/chunk-geocoder';
import { GRID_MAX_Z, GRID_ORIGIN_X, GRID_ORIGIN_Y, type InteriorGrid } from '../src/geocode/interior-grid';
import { InteriorGridCache } from '../src/geocode/interior-grid-cache';
import type { PolygonBoxes } from '../src/boundaries/polygon-boxes';
import { createLogger } from '../src/logger';
import { pointGenerator, seededRandom } from '../bench/generate-csv';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';

const CENTROIDS = path.join(FIXTURES, 'inner-centroids-5179.tsv');

/**
 * The interior grid and the polygon boxes must never change an answer: every chunk is geocoded
 * twice, with both and with PostGIS alone over every polygon, and the results must be identical
 * row for row.
 */
describe(`interior grid against PostGIS alone (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  let server: TestServer;
  let grid: InteriorGrid;
  let base: Omit<ChunkRequest, 'input' | 'srid'>;
  let boxes: PolygonBoxes;

  before(async () => {
    server = await startTestServer({}, { startWorker: false });
    const set = await server.services.boundarySets.resolve();
    const level = deepestLevel(set);
    grid = server.grids.get(set.id)!;
    assert.ok(grid, 'the test server has the default set’s grid in memory');
    const levels = set.levels.map((l) => l.level).sort((a, b) => b - a);
    base = { setId: set.id, maxDistanceMeters: 200, levelsDeepestFirst: levels };
    boxes = (await BoundaryCatalog.load(server.db.dataSource, set.id)).boxes(level);
    assert.equal(boxes.size, 3504);
  });
  after(() => server?.close());

  /** Geocoding stores nothing, so the same rows can be geocoded again. */
  const geocode = (request: ChunkRequest): Promise<GeocodedChunk> => geocodeChunk(server.db.dataSource.manager, request);

  async function compare(input: ChunkInput, srid: number, maxDistanceMeters = 200): Promise<GeocodedChunk> {
    // With the grid and the polygon boxes (only polygons whose box holds a point are tried),
    // against PostGIS alone trying every polygon.
    const withGrid = await geocode({ ...base, input, srid, maxDistanceMeters, grid, boxes });
    const postgisOnly = await geocode({ ...base, input, srid, maxDistanceMeters, grid: null, boxes: null });
    assert.equal(postgisOnly.gridMatches, 0);
    assert.equal(withGrid.rowCount, input.xs.length);
    for (let i = 0; i < input.xs.length; i++) {
      assert.deepEqual(resultAt(withGrid, i), resultAt(postgisOnly, i), `row ${i} at (${input.xs[i]}, ${input.ys[i]})`);
    }
    return withGrid;
  }

  const asInput = (points: [number, number][]): ChunkInput => ({
    xs: Float64Array.from(points, ([x]) => x),
    ys: Float64Array.from(points, ([, y]) => y),
    invalidReasons: new Map(),
  });

  test('20,000 bench points (cities, countryside, sea, abroad): same results, most without PostGIS', async () => {
    const next = pointGenerator(seededRandom(99));
    const input = asInput(Array.from({ length: 20_000 }, next));
    input.invalidReasons.set(5, 'not a number: "abc"');
    const outcome = await compare(input, 4326);
    assert.ok(outcome.gridMatches > 0.85 * input.xs.length, `the grid decided ${outcome.gridMatches} of ${input.xs.length}`);
    assert.equal(resultAt(outcome, 5).result, 3 /* INVALID */);
    assert.equal(resultAt(outcome, 5).reason, 'not a number: "abc"');
    // Out at sea, far from the coast: CLEAR, so NO_MATCH without a nearest search.
    const sea = await geocode({ ...base, input: asInput([[125.0, 34.5]]), srid: 4326, grid });
    assert.equal(sea.gridMatches, 1);
    assert.equal(resultAt(sea, 0).result, 2 /* NO_MATCH */);
  });

  test('points on cell corners and edges next to 읍면동 borders: same results', async () => {
    // Corners of finest cells around the 1,229 inner centroids, converted to lon/lat by the grid
    // arithmetic itself: exactly on the lines where the grid's cells meet.
    const lonLat = await server.db.dataSource.query(
      `SELECT ST_X(g) AS x, ST_Y(g) AS y FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(($1::float8[])[i], ($2::float8[])[i]), 5179), 4326) AS g
         FROM generate_subscripts($1::float8[], 1) i) t`,
      centroids5179(),
    );
    const step = 1 / 2 ** GRID_MAX_Z;
    const points: [number, number][] = [];
    for (const { x, y } of lonLat as { x: number; y: number }[]) {
      const cx = GRID_ORIGIN_X + Math.floor((x - GRID_ORIGIN_X) / step) * step;
      const cy = GRID_ORIGIN_Y + Math.floor((y - GRID_ORIGIN_Y) / step) * step;
      points.push([cx, cy], [cx + step / 2, cy], [cx, cy + step / 2], [x, y]);
    }
    const outcome = await compare(asInput(points), 4326);
    assert.ok(outcome.gridMatches > 0, 'some corners are inside covered cells');
  });

  test('input in EPSG:5179 is transformed by PostGIS first, then matched the same', async () => {
    const [xs, ys] = centroids5179();
    const outcome = await compare(asInput(xs.map((x, i) => [x, ys[i]])), 5179);
    assert.ok(outcome.gridMatches > 1000, `the grid decided ${outcome.gridMatches} of ${xs.length}`);
  });

  test('a request that looks farther than the CLEAR distance gets the nearest search for every point', async () => {
    const next = pointGenerator(seededRandom(3));
    await compare(asInput(Array.from({ length: 3_000 }, next)), 4326, 3_000);
  });

  test('a stored grid is loaded, not built again, and answers the same', async () => {
    const set = await server.services.boundarySets.resolve();
    const fresh = new InteriorGridCache(server.db.dataSource, createLogger('error'));
    const t = Date.now();
    await fresh.prepareSet(set);
    assert.equal(fresh.stateOfSet(set), 'ready');
    assert.ok(Date.now() - t < 15_000, 'loading takes seconds at most; building takes much longer');
    const loaded = fresh.get(set.id)!;
    assert.deepEqual(loaded.slots, grid.slots);
  });
});

function centroids5179(): [number[], number[]] {
  const lines = fs.readFileSync(CENTROIDS, 'utf8').trim().split('\n').slice(1);
  const cols = lines.map((l) => l.split('\t'));
  return [cols.map((c) => Number(c[7])), cols.map((c) => Number(c[8]))];
}
