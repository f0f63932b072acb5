import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger';
import { isProcessAlive } from '../util/process-alive';
import { workerEntry } from '../util/worker-entry';
import { startPasswordFront } from './embedded-auth';
import type { FromDatabaseThread, ToDatabaseThread } from './embedded-thread-protocol';

/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) with PostGIS, kept in a folder,
 * run in a thread of its own (see DatabaseThread), served on a loopback port by pglite-socket so
 * that TypeORM and node-postgres talk to it exactly as they talk to a real server. PGlite is one backend: callers must use a single connection.
 *
 * The port asks for a password made up at each start (in the URL handed to this process only):
 * pglite-socket itself listens on a Unix socket in a folder of mode 0700, and the loopback port
 * is a front that checks the password first (embedded-auth.ts). Another local user can reach the
 * port but not the data.
 */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
  /** Ends the database's thread as a crash would (for tests of the restart). */
  crashThread(): Promise<void>;
}

/** Where the thread's restarts are told (the server's logger; silent when not given). */
export type DatabaseLog = Pick<Logger, 'info' | 'warn'>;

export async function startEmbeddedDatabase(dataDir: string, log?: DatabaseLog): Promise<EmbeddedDatabase> {
  const dir = path.join(dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  const releaseLock = lockFolder(dir);
  let socketDir: string | null = null;
  let thread: DatabaseThread | null = null;
  try {
    socketDir = privateSocketFolder(dataDir);
    const socketPath = path.join(socketDir, 'pglite.sock');
    thread = new DatabaseThread(dir, socketPath, log);
    await thread.start();
    const password = randomBytes(24).toString('hex');
    const front = await startPasswordFront({ upstreamPath: socketPath, user: 'postgres', password });
    return {
      url: `postgres://postgres:${password}@${front.address}/postgres`,
      async stop() {
        await front.close();
        await thread!.stop();
        fs.rmSync(socketDir!, { recursive: true, force: true });
        releaseLock();
      },
      crashThread: () => thread!.crash(),
    };
  } catch (err) {
    await thread?.stop();
    if (socketDir) fs.rmSync(socketDir, { recursive: true, force: true });
    releaseLock();
    throw err;
  }
}

/** Pause before the first restart of a thread that died; it doubles with each failure in a row. */
const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 10_000;
/** A thread that ran this long before it died counts as healthy: the next restart waits the least. */
const HEALTHY_RUN_MS = 60_000;
/** How long a stop waits for the thread to close PGlite (it flushes to the folder) before ending it. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * PGlite and its socket server in a worker thread of their own (embedded-thread.ts). If the
 * thread dies (a WebAssembly abort, out of memory), it is started again on the same folder after a
 * pause that doubles up to 10 s; meanwhile connections to the socket fail, which the worker
 * treats as a database that is away for a moment (its chunk is retried), as with PostgreSQL.
 */
class DatabaseThread {
  private worker: Worker | null = null;
  private stopping = false;
  private restartDelay = FIRST_RESTART_DELAY_MS;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly socketPath: string,
    private readonly log: DatabaseLog | undefined,
  ) {}

  /** Starts the thread; settles once it serves the socket, rejects when it could not start. */
  start(): Promise<void> {
    fs.rmSync(this.socketPath, { force: true }); // left by a process that was killed, or the thread before
    const [entry, how] = workerEntry(import.meta.url, './embedded-thread.ts', './embedded-thread.mjs');
    const worker = new Worker(entry, { ...how, workerData: { dir: this.dir, socketPath: this.socketPath } });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let readyAt = 0;
      worker.on('message', (message: FromDatabaseThread) => {
        if (message.type === 'ready') {
          readyAt = Date.now();
          resolve();
        } else if (message.type === 'error') {
          if (!readyAt) reject(new Error(`The embedded database could not start: ${message.message}`));
          else if (!this.stopping) this.log?.warn(`The embedded database reported an error: ${message.message}`);
        }
      });
      worker.on('error', (err) => {
        if (!readyAt) reject(err);
        else if (!this.stopping) this.log?.warn('The embedded database thread failed', err);
      });
      worker.once('exit', (code) => {
        if (this.worker === worker) this.worker = null;
        if (!readyAt) return reject(new Error(`The embedded database thread ended (exit code ${code}) before it was ready`));
        if (this.stopping) return;
        if (Date.now() - readyAt >= HEALTHY_RUN_MS) this.restartDelay = FIRST_RESTART_DELAY_MS;
        this.scheduleRestart(`The embedded database thread ended (exit code ${code})`);
      });
    });
  }

  private scheduleRestart(why: string): void {
    const delay = this.restartDelay;
    this.restartDelay = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    this.log?.warn(`${why}; starting it again in ${delay / 1000} s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.start().then(
        () => this.log?.info('The embedded database is running again'),
        (err: Error) => {
          if (!this.stopping) this.scheduleRestart(`The embedded database did not start again: ${err.message}`);
        },
      );
    }, delay);
  }

  async crash(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Asks the thread to close PGlite (so its folder is left consistent) and waits for it to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'stop' } satisfies ToDatabaseThread);
    });
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
