import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startServer } from '../src/server';
import { geocodeChunk, resultAt } from '../src/geocode/chunk-geocoder';
import { BoundaryCatalog } from '../src/boundaries/catalog';
import { pointGenerator, seededRandom } from './generate-csv';
import { oneQueryPerPoint } from './old-way';
import type { ChildMessage, ParentMessage } from './server-process';

/**
 * The server under test, in its own process so that its peak memory is its own (the bench's
 * CSV generation and download do not count). Configured from the environment like `npm start`;
 * the parent talks to it over the IPC channel.
 */
const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
const server = await startServer(config, createLogger(config.logLevel));
await server.ready;
// Conversions are timed with the default set's interior grid in memory, as a server has it once
// it is built (first start) or loaded (every later start).
const gridStarted = Date.now();
const set = await server.services.boundarySets.resolve();
await server.grids.prepareSet(set);
const grid = { state: server.grids.stateOfSet(set), ms: Date.now() - gridStarted };
// Every other current set's grid too (the bench may convert on a second set).
for (const other of await server.services.boundarySets.listCurrent()) await server.grids.prepareSet(other);

const send = (msg: ChildMessage) => process.send!(msg);

// Where the memory is: peaks of V8's heap and of memory outside it (buffers), sampled.
const peaks = { heapUsed: 0, heapTotal: 0, external: 0 };
setInterval(() => {
  const m = process.memoryUsage();
  peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
  peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal);
  peaks.external = Math.max(peaks.external, m.external);
}, 100).unref();
send({ type: 'ready', url: server.url, grid });

process.on('message', (msg: ParentMessage) => {
  void (async () => {
    try {
      if (msg.type === 'oldWay') {
        send({ type: 'oldWay', ...(await oneQueryPerPoint(server.db.dataSource, msg.points)) });
      } else if (msg.type === 'compareGrid') {
        send({ type: 'compareGrid', ...(await compareGrid(msg.setName, msg.points)) });
      } else if (msg.type === 'memory') {
        send({ type: 'memory', maxRssKb: process.resourceUsage().maxRSS, ...peaks });
        peaks.heapUsed = peaks.heapTotal = peaks.external = 0;
      } else if (msg.type === 'close') {
        await server.close();
        process.exit(0);
      }
    } catch (err) {
      send({ type: 'error', message: (err as Error).stack ?? String(err) });
    }
  })();
});

/**
 * The bench's points geocoded on a set twice, with the interior grid and the polygon boxes and by
 * PostGIS alone over every polygon, compared row for row.
 */
async function compareGrid(setName: string, count: number) {
  const set = await server.services.boundarySets.resolve(setName);
  const catalog = await BoundaryCatalog.load(server.db.dataSource, set.id);
  const levelsDeepestFirst = catalog.levelsDeepestFirst;
  const gridOfSet = server.grids.get(set.id);
  if (!gridOfSet) throw new Error(`No interior grid for ${setName}`);
  const next = pointGenerator(seededRandom(11));
  let differing = 0;
  let gridMatches = 0;
  let firstDifference: string | null = null;
  for (let from = 0; from < count; from += 20_000) {
    const points = Array.from({ length: Math.min(20_000, count - from) }, next);
    const input = { xs: Float64Array.from(points, (p) => p[0]), ys: Float64Array.from(points, (p) => p[1]), invalidReasons: new Map<number, string>() };
    const base = { setId: set.id, srid: 4326, maxDistanceMeters: config.maxDistanceMeters, levelsDeepestFirst, input };
    const withGrid = await geocodeChunk(server.db.dataSource.manager, { ...base, grid: gridOfSet, boxes: catalog.boxes(levelsDeepestFirst[0]), shallowerBoxes: levelsDeepestFirst.length > 1 ? catalog.boxes(levelsDeepestFirst[1]) : null });
    const alone = await geocodeChunk(server.db.dataSource.manager, { ...base, grid: null, boxes: null });
    gridMatches += withGrid.gridMatches;
    for (let i = 0; i < points.length; i++) {
      const a = JSON.stringify(resultAt(withGrid, i));
      const b = JSON.stringify(resultAt(alone, i));
      if (a !== b) {
        differing++;
        firstDifference ??= `(${points[i][0]}, ${points[i][1]}): grid ${a}, PostGIS ${b}`;
      }
    }
  }
  return { points: count, gridMatches, differing, firstDifference };
}
