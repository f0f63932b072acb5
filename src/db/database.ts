import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { Boundary } from '../entities/Boundary';
import { BoundarySet } from '../entities/BoundarySet';
import { Conversion } from '../entities/Conversion';
import { startEmbeddedDatabase } from './embedded';

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
}

/**
 * Opens the database the configuration asks for: the PostgreSQL at DATABASE_URL, or the embedded
 * PGlite in DATA_DIR. Everything above this module sees the same TypeORM DataSource either way.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const embedded = options.databaseUrl ? undefined : await startEmbeddedDatabase(options.dataDir);
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
