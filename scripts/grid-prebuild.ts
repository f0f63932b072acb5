/**
 * `npm run grid:prebuild`: builds the interior grid of every bundled boundary set and writes it to
 * data/boundaries, so a first start loads it instead of building it (see src/geocode/prebuilt-grid.ts).
 * Runs on a fresh embedded database (the one `npm start` uses by default) in a temporary folder,
 * or on DATABASE_URL when set (use a fresh database); each writes its own files
 * (<set>[-<year>].embedded.grid.br, <set>[-<year>].postgresql.grid.br: a dated version's file
 * carries its year), since their PostGIS may store the polygons a little differently. Re-run both
 * when a bundled set is added or its files change: a file built from other data is ignored at start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDefaultBoundarySet } from '../src/boundaries/default-set';
import { BoundarySetService } from '../src/boundaries/set-service';
import { openDatabase } from '../src/db/database';
import { InteriorGridCache } from '../src/geocode/interior-grid-cache';
import { PREBUILT_GRID_DIR, prebuiltGridFile, prebuiltGridFits, writePrebuiltGrid } from '../src/geocode/prebuilt-grid';
import { createLogger } from '../src/logger';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-grid-prebuild-'));
const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir });
try {
  // What a first start loads: every bundled set.
  await ensureDefaultBoundarySet(db.dataSource, createLogger('info'));
  for (const set of await new BoundarySetService(db.dataSource).listCurrent()) {
    const t = Date.now();
    // A dated version's file carries its year (kostat-2013, kostat-2018): versions share the name.
    const fileName = set.validFrom ? `${set.name}-${set.validFrom.slice(0, 4)}` : set.name;
    const file = prebuiltGridFile(fileName, db.embedded ? 'embedded' : 'postgresql');
    // Rewritten only when it no longer fits: the same grid written again differs in its boundary
    // ids (they are this database's), which would only churn a binary file in the repository.
    if (await prebuiltGridFits(db.dataSource, set.id, file)) {
      console.log(`${path.relative(path.dirname(PREBUILT_GRID_DIR), file)}: up to date`);
      continue;
    }
    console.error(`Building the interior grid of ${set.name}@${set.version}…`);
    // Through the cache: a grid the database holds already is loaded rather than built again.
    const grids = new InteriorGridCache(db.dataSource, createLogger('info'));
    await grids.prepareSet(set);
    const grid = grids.get(set.id);
    if (!grid) throw new Error(`Could not build the interior grid of ${set.name}`);
    const bytes = await writePrebuiltGrid(db.dataSource, set.id, grid, file);
    console.log(
      `${path.relative(path.dirname(PREBUILT_GRID_DIR), file)}: ` +
        `${(grid.slots.byteLength / 2 ** 20).toFixed(1)} MB → ${(bytes / 2 ** 20).toFixed(1)} MB, ready in ${((Date.now() - t) / 1000).toFixed(0)} s`,
    );
  }
} finally {
  await db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
