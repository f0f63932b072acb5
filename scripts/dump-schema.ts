/**
 * `npm run schema:dump`: migrates a fresh PostgreSQL database and writes its schema, as pg_dump
 * prints it, to migrations/schema.sql (test/schema.test.ts checks that file against fresh
 * databases). The scratch database is made beside DATABASE_URL's, as `<name>_schema_dump`, and
 * dropped at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/database';
import { pgDumpSchema, SCHEMA_FILE, scratchDatabase, withoutRestrictKeys } from './schema';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL to a PostgreSQL database: a scratch database <its name>_schema_dump is made beside it.');
  process.exit(2);
}
const scratch = await scratchDatabase(url, 'schema_dump');
try {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-schema-'));
  const db = await openDatabase({ databaseUrl: scratch.url, dataDir });
  await db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.writeFileSync(SCHEMA_FILE, withoutRestrictKeys(await pgDumpSchema(scratch.url)));
  console.log(`Wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
} finally {
  await scratch.drop();
}
