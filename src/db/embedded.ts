import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { isProcessAlive } from '../util/process-alive';
import { startPasswordFront } from './embedded-auth';

/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) with PostGIS, kept in a folder,
 * served on a loopback port by pglite-socket so that TypeORM and node-postgres talk to it exactly
 * as they talk to a real server. PGlite is one backend: callers must use a single connection.
 *
 * The port asks for a password made up at each start (in the URL handed to this process only):
 * pglite-socket itself listens on a Unix socket in a folder of mode 0700, and the loopback port
 * is a front that checks the password first (embedded-auth.ts). Another local user can reach the
 * port but not the data.
 */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const dir = path.join(dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  const releaseLock = lockFolder(dir);
  try {
    // shared_buffers 16 MB instead of PGlite's 128 MB: its WebAssembly memory, once grown, is never
    // given back. Measured (bench, 200,000 rows, repeat 2): idle RSS 1,023 → 918 MB, peak 1,256 →
    // 1,149 MB, geocode phase unchanged (1.22 / 1.12 s). Most of the rest is PGlite's own: opening it
    // with PostGIS takes the process from 131 to 861 MB (WebAssembly memory 195 MB, its in-memory
    // file system and PostGIS's archive 235 MB of ArrayBuffers, the compiled PostgreSQL and PostGIS
    // code); V8's lazy-compilation and no-tier-up flags changed nothing.
    const db = await PGlite.create({ dataDir: dir, extensions: { postgis }, startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] });
    const socketDir = privateSocketFolder(dataDir);
    const socketPath = path.join(socketDir, 'pglite.sock');
    fs.rmSync(socketPath, { force: true }); // left by a process that was killed
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 1 });
    await server.start();
    const password = randomBytes(24).toString('hex');
    const front = await startPasswordFront({ upstreamPath: socketPath, user: 'postgres', password });
    return {
      url: `postgres://postgres:${password}@${front.address}/postgres`,
      async stop() {
        await front.close();
        await server.stop();
        await db.close();
        fs.rmSync(socketDir, { recursive: true, force: true });
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/** Unix socket paths are limited to about 100 bytes. */
const MAX_SOCKET_PATH = 100;

/**
 * A folder only this user may enter, for pglite-socket's Unix socket: DATA_DIR/run, or a new
 * folder under the system's temporary folder when DATA_DIR's path is too long for a socket.
 */
function privateSocketFolder(dataDir: string): string {
  const inData = path.join(path.resolve(dataDir), 'run');
  if (path.join(inData, 'pglite.sock').length <= MAX_SOCKET_PATH) {
    fs.mkdirSync(inData, { recursive: true, mode: 0o700 });
    fs.chmodSync(inData, 0o700);
    return inData;
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-db-')); // mode 0700
}

/**
 * PGlite does not guard its folder against a second process, and two writers corrupt it.
 * A pid file turns that into a clear error instead.
 */
function lockFolder(dir: string): () => void {
  const lockFile = path.join(dir, 'coord2region.pid');
  try {
    const pid = Number(fs.readFileSync(lockFile, 'utf8'));
    if (pid && pid !== process.pid && isProcessAlive(pid)) {
      throw new Error(
        `The embedded database in ${dir} is in use by process ${pid}. Stop it first, or point DATA_DIR elsewhere, or use DATABASE_URL.`,
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.writeFileSync(lockFile, String(process.pid));
  return () => fs.rmSync(lockFile, { force: true });
}
