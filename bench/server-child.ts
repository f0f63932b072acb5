import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startServer } from '../src/server';
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
