import fs from 'node:fs';
import path from 'node:path';
import type { ExpectedFunction } from '../db/function-drift';
import { PROJECT_ROOT } from '../project-root';

/** Where the SQL functions the geocoder calls are kept, one `<name>.sql` each. */
const SQL_FUNCTIONS_DIR = path.join(PROJECT_ROOT, 'src/geocode/sql');

/**
 * The geocoder's SQL functions as the migrations leave them installed, read from their .sql files:
 * what the drift check at start expects the database to hold.
 */
export function geocodeSqlFunctions(): ExpectedFunction[] {
  return ['c2r_try_transform', 'c2r_geocode_points'].map((name) => {
    const file = path.join(SQL_FUNCTIONS_DIR, `${name}.sql`);
    return { name, sql: fs.readFileSync(file, 'utf8'), source: path.relative(PROJECT_ROOT, file) };
  });
}
