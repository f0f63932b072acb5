import fs from 'node:fs';
import { openDatabase, type Database } from '../../src/db/database';
import { freshDataDir } from './server';

/**
 * The database a test file works on without a server: PostgreSQL at DATABASE_URL (shared by the
 * test files, which therefore clean up what they add), or a fresh copy of the embedded template.
 */
export async function openTestDatabase(): Promise<Database & { dataDir: string }> {
  const dataDir = await freshDataDir();
  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir });
  return {
    ...db,
    dataDir,
    async close() {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Removes boundary sets a test created (and conversions pinned to them), so a shared database stays as it was. */
export async function dropBoundarySets(db: Database, names: string[]): Promise<void> {
  const ids = `SELECT id FROM boundary_sets WHERE name = ANY($1)`;
  await db.dataSource.query(`DELETE FROM conversions WHERE boundary_set_id IN (${ids})`, [names]);
  await db.dataSource.query(`DELETE FROM boundary_sets WHERE name = ANY($1)`, [names]);
}
