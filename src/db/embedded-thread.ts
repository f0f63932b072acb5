import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { FromDatabaseThread, ToDatabaseThread } from './embedded-thread-protocol';

/**
 * The embedded database's own thread (started by embedded.ts): PGlite runs PostgreSQL, compiled
 * to WebAssembly, in whichever thread calls it, and a query holds that thread until it is done.
 * In the server's main thread every boundary load, piece cut and geocoded chunk held the event
 * loop (a wide conversion kept /healthz waiting over a second). Here it holds only this thread;
 * the server talks to it over pglite-socket's Unix socket, as to any PostgreSQL.
 */
const { dir, socketPath } = workerData as { dir: string; socketPath: string };
const port = parentPort!;
const send = (message: FromDatabaseThread) => port.postMessage(message);

try {
  // shared_buffers 16 MB instead of PGlite's 128 MB: its WebAssembly memory, once grown, is never
  // given back. Measured (bench, 200,000 rows, repeat 2): idle RSS 1,023 → 918 MB, peak 1,256 →
  // 1,149 MB, geocode phase unchanged (1.22 / 1.12 s). Most of the rest is PGlite's own: opening it
  // with PostGIS takes the process from 131 to 861 MB (WebAssembly memory 195 MB, its in-memory
  // file system and PostGIS's archive 235 MB of ArrayBuffers, the compiled PostgreSQL and PostGIS
  // code); V8's lazy-compilation and no-tier-up flags changed nothing.
  const db = await PGlite.create({ dataDir: dir, extensions: { postgis }, startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] });
  // The service uses one connection (database.ts: a pool of one), but a connection that was just
  // closed is let go here a moment later, in this thread's own time: with room for one, Node
  // refused the next connection meanwhile (a reconnect failed with "Connection terminated
  // unexpectedly"). pglite-socket runs the connections' queries one at a time and keeps a
  // transaction to the connection that opened it, rolling it back if that connection goes.
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 8 });
  await server.start();
  port.on('message', (message: ToDatabaseThread) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await server.stop();
      // The socket server hands a closing connection's last messages to PGlite without waiting
      // for them: let them run, then one query of our own queues behind whatever is left.
      await new Promise((resolve) => setImmediate(resolve));
      await db.query('SELECT 1').catch(() => {});
      await db.close();
      port.close(); // the thread ends: embedded.ts waits for its exit
    })().catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
  });
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
}
