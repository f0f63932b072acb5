import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SET_NAME, importBundledSet } from '../src/boundaries/default-set';
import { importBoundaryFiles } from '../src/boundaries/import-files';
import { openDatabase } from '../src/db/database';
import { InteriorGridCache } from '../src/geocode/interior-grid-cache';
import { createLogger } from '../src/logger';

/** The name the bench gives the TL_SCCO sample set. */
export const TL_SCCO_SET = 'tl-scco';
const SAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data/tl-scco-sample');
const FILES = ['CTPRVN', 'SIG', 'EMD', 'LI'].map((l) => path.join(SAMPLE, `TL_SCCO_${l}.shp`));

/**
 * Makes sure the bench database holds the bundled set and the TL_SCCO sample (imported once, as
 * `npm run boundaries -- import` does, grid included), before the server starts. Null when the
 * sample is not beside the project: only the bench may use it, and it is optional there too.
 */
export async function prepareTlSccoSample(options: { databaseUrl?: string; dataDir: string; log: (line: string) => void }): Promise<{ defaultName: string } | null> {
  if (!FILES.every((f) => fs.existsSync(f))) return null;
  const db = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
  try {
    const current = async (name: string): Promise<number | null> =>
      ((await db.dataSource.query(`SELECT id FROM boundary_sets WHERE name = $1 AND is_current AND status = 'READY'`, [name])) as { id: number }[])[0]?.id ?? null;
    if ((await current(DEFAULT_SET_NAME)) === null) {
      options.log(`Loading the bundled ${DEFAULT_SET_NAME} set…`);
      await importBundledSet(db.dataSource);
    }
    let setId = await current(TL_SCCO_SET);
    if (setId === null) {
      options.log(`Importing the TL_SCCO sample as "${TL_SCCO_SET}" (once per database)…`);
      setId = (await importBoundaryFiles(db.dataSource, FILES, { set: TL_SCCO_SET })).report.setId;
    }
    const t = Date.now();
    const grids = new InteriorGridCache(db.dataSource, createLogger('error'));
    await grids.prepare(setId);
    options.log(`${TL_SCCO_SET} interior grid ${grids.state(setId)} after ${((Date.now() - t) / 1000).toFixed(1)} s (built once per database, then loaded)`);
    return { defaultName: DEFAULT_SET_NAME };
  } finally {
    await db.close();
  }
}
