import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ensureDefaultBoundarySet } from '../../src/boundaries/default-set';
import { loadConfig, type Config } from '../../src/config';
import { openDatabase } from '../../src/db/database';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer, type StartOptions } from '../../src/server';
import { BoundarySetService } from '../../src/boundaries/set-service';
import { buildBoundaryPieces } from '../../src/geocode/boundary-pieces';
import { InteriorGridCache } from '../../src/geocode/interior-grid-cache';
import type { DataSource } from 'typeorm';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures');
const TEMPLATE_DIR = path.join(ROOT, '.tmp/pglite-template');

/** True when the suite runs against a real PostgreSQL (DATABASE_URL), false on the embedded default. */
export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface TestServer extends RunningServer {
  dataDir: string;
  config: Config;
  graphqlUrl: string;
  wsUrl: string;
}

/**
 * Starts the real server on a free port with a fresh DATA_DIR. On the embedded default the
 * database folder is copied from a template that was migrated and loaded with the bundled
 * boundaries once (by the same code `npm start` runs), which saves each test file ~20 s.
 */
export async function startTestServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  // A caller may share one DATA_DIR between instances (on PostgreSQL); the creator removes it.
  const ownDir = !env.DATA_DIR;
  const dataDir = env.DATA_DIR ?? (await freshDataDir());
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', ...env });
  const server = await startServer(config, createLogger(config.logLevel), options);
  await server.ready;
  // Tests run with the default set's interior grid in memory, as a server does once it has
  // built it: loaded from the template (embedded) or built by the first server (PostgreSQL).
  const set = await server.services.boundarySets.resolve();
  await server.grids.prepareSet(set);
  const close = server.close;
  return {
    ...server,
    dataDir,
    config,
    graphqlUrl: `${server.url}/graphql`,
    wsUrl: `${server.url.replace(/^http/, 'ws')}/graphql`,
    async close() {
      await close();
      if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A new DATA_DIR for one test file; on the embedded default it already holds a migrated database
 * with the bundled boundaries (a copy of the template).
 */
export async function freshDataDir(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-test-'));
  if (!onPostgres) {
    await ensureTemplate();
    fs.cpSync(path.join(TEMPLATE_DIR, 'pglite'), path.join(dataDir, 'pglite'), { recursive: true });
    fs.rmSync(path.join(dataDir, 'pglite', 'coord2region.pid'), { force: true });
  }
  return dataDir;
}

async function ensureTemplate(): Promise<void> {
  const marker = path.join(TEMPLATE_DIR, 'ready');
  const key = await templateKey();
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === key) return;
  fs.rmSync(TEMPLATE_DIR, { recursive: true, force: true });
  fs.mkdirSync(TEMPLATE_DIR, { recursive: true });
  const db = await openDatabase({ dataDir: TEMPLATE_DIR });
  try {
    await ensureDefaultBoundarySet(db.dataSource, createLogger('error'));
    await buildDefaultGrid(db.dataSource);
  } finally {
    await db.close();
  }
  fs.writeFileSync(marker, key);
}

/**
 * Stores the default set's interior grid (prebuilt) and cuts every version's boundary pieces, as a
 * server's warm-up does after its first start: a test server then starts as a later start does,
 * with no piece cut holding the embedded database's one connection while the test runs.
 */
async function buildDefaultGrid(dataSource: DataSource): Promise<void> {
  const sets = new BoundarySetService(dataSource);
  const set = await sets.resolve();
  const grids = new InteriorGridCache(dataSource, createLogger('error'));
  await grids.prepareSet(set);
  if (grids.stateOfSet(set) !== 'ready') throw new Error('Could not build the interior grid for the test template');
  for (const version of (await sets.resolveSet()).versions) await buildBoundaryPieces(dataSource, version.id);
}

/**
 * The template is rebuilt whenever anything that ends up in it changes: every module the build
 * runs (the migrations, the importer, the grid builder and all they import, found by esbuild), the
 * files they read (the bundled boundaries, the SQL function texts) and the installed packages.
 */
async function templateKey(): Promise<string> {
  const entries = ['src/db/database.ts', 'src/boundaries/default-set.ts', 'src/boundaries/set-service.ts', 'src/geocode/interior-grid-cache.ts', 'src/geocode/boundary-pieces.ts'];
  const { metafile } = await build({
    entryPoints: entries,
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    outdir: 'out',
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const listed = (dir: string) => fs.readdirSync(path.join(ROOT, dir)).map((f) => path.join(dir, f));
  const files = [...new Set([...Object.keys(metafile.inputs), ...listed('data/boundaries'), ...listed('src/geocode/sql'), 'package-lock.json', 'test/helpers/server.ts'])].sort();
  const hash = crypto.createHash('sha256');
  for (const f of files) {
    const full = path.join(ROOT, f);
    if (fs.statSync(full).isFile()) hash.update(f).update(fs.readFileSync(full));
  }
  return hash.digest('hex');
}
