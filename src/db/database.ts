import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { Boundary } from '../entities/Boundary';
import { BoundarySet } from '../entities/BoundarySet';
import { Conversion } from '../entities/Conversion';
import { startEmbeddedDatabase, type DatabaseLog } from './embedded';

export const entities = [Conversion, BoundarySet, Boundary];

export interface Database {
  dataSource: DataSource;
  /** The connection string in use (the embedded server's loopback URL when embedded). */
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Run pending migrations before returning (the default; `npm run migrate` does only this). */
  migrate?: boolean;
  /** Where the embedded database's thread says it had to be restarted. */
  log?: DatabaseLog;
}

/**
 * Opens the database the configuration asks for: the PostgreSQL at DATABASE_URL, or the embedded
 * PGlite in DATA_DIR. Everything above this module sees the same TypeORM DataSource either way.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const embedded = options.databaseUrl ? undefined : await startEmbeddedDatabase(options.dataDir, options.log);
  const url = options.databaseUrl ?? embedded!.url;
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    // PGlite is a single backend: a second pooled connection would interleave transactions.
    extra: { max: embedded ? 1 : 10 },
    logging: false,
  });
  try {
    await dataSource.initialize();
    keepConnectionErrorsFromCrashing(dataSource);
    if (options.migrate !== false) await dataSource.runMigrations({ transaction: 'each' });
  } catch (err) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw err;
  }
  return {
    dataSource,
    url,
    embedded: Boolean(embedded),
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

/**
 * node-postgres emits 'error' on a pooled client whose backend goes away (a restart, a terminated
 * backend) between two queries; the pool listens only while the client is idle in it, so a client
 * held by a query runner at that moment would crash the process with an unhandled 'error'. With a
 * listener on every client the failure shows up, as it should, on that client's next query, where
 * the worker treats it as transient.
 */
function keepConnectionErrorsFromCrashing(dataSource: DataSource): void {
  type Client = { on(event: 'error', listener: () => void): void };
  const pool = (dataSource.driver as unknown as { master?: { on(e: 'connect', l: (c: Client) => void): void; _clients?: Client[] } }).master;
  if (!pool) return;
  const ignore = () => {};
  for (const client of pool._clients ?? []) client.on('error', ignore);
  pool.on('connect', (client) => client.on('error', ignore));
}
