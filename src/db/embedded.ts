import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { isProcessAlive } from '../util/process-alive';

/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) with PostGIS, kept in a folder,
 * served on a loopback port by pglite-socket so that TypeORM and node-postgres talk to it exactly
 * as they talk to a real server. PGlite is one backend: callers must use a single connection.
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
    const db = await PGlite.create({ dataDir: dir, extensions: { postgis } });
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
    await server.start();
    const address = server.getServerConn();
    return {
      url: `postgres://postgres@${address}/postgres`,
      async stop() {
        await server.stop();
        await db.close();
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
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
