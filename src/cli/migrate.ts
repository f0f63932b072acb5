import { loadConfig } from '../config';
import { openDatabase } from '../db/database';

/** `npm run migrate`: apply pending migrations to the configured database and exit. */
const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
try {
  const applied = await db.dataSource.runMigrations({ transaction: 'each' });
  console.log(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'Nothing to migrate.');
} finally {
  await db.close();
}
