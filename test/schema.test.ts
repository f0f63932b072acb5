import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { pgDump } from '@electric-sql/pglite-tools/pg_dump';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations';
import { PG_DUMP_ARGS, pgDumpSchema, runSql, SCHEMA_FILE, schemaLines, scratchDatabase } from '../scripts/schema';
import { openDatabase } from '../src/db/database';
import { FIXTURES, onPostgres } from './helpers/server';

/**
 * migrations/schema.sql against real databases: a fresh one, and one migrated by the old chain
 * (the migrations at d7fc36f, which installed the then-current function text in 1764000000007),
 * each dumped by pg_dump (on the embedded database, pglite-tools' pg_dump built for PGlite).
 *
 * PostGIS differs between the two databases (3.3 on the PostgreSQL 15 here, 3.6 in PGlite), but
 * nothing of it shows in a schema dump: the extension's own objects (spatial_ref_sys, its types
 * and functions) are members of the extension, which pg_dump prints as its CREATE EXTENSION and
 * COMMENT ON EXTENSION lines only, and those two lines are the same in both versions. So only the
 * lines schemaLines names are ignored (comments, SET, set_config, \restrict).
 */
const OLD_CHAIN = path.join(FIXTURES, 'old-chain-d7fc36f.sql');

function assertSchemaFile(dump: string, what: string) {
  assert.equal(
    schemaLines(dump).join('\n'),
    schemaLines(fs.readFileSync(SCHEMA_FILE, 'utf8')).join('\n'),
    `${what} differs from migrations/schema.sql (npm run schema:dump writes it anew)`,
  );
}

/** The fixture as plain statements: pg_dump's psql-only lines left out. */
function oldChainSql(): string {
  return fs.readFileSync(OLD_CHAIN, 'utf8').replace(/^\\.*$/gm, '');
}

/** Migrates a new embedded database (after `prepare` on the bare PGlite, if given) and dumps its schema. */
async function embeddedSchema(prepare?: (db: PGlite) => Promise<void>): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-schema-'));
  const open = () => PGlite.create({ dataDir: path.join(dataDir, 'pglite'), extensions: { postgis } });
  try {
    if (prepare) {
      const bare = await open();
      await prepare(bare).finally(() => bare.close());
    }
    const db = await openDatabase({ dataDir });
    await db.close();
    const pglite = await open();
    try {
      return await (await pgDump({ pg: pglite, args: PG_DUMP_ARGS })).text();
    } finally {
      await pglite.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The same on a scratch database beside DATABASE_URL's, dumped by pg_dump. */
async function postgresSchema(suffix: string, prepare?: (url: string) => Promise<void>): Promise<string> {
  const scratch = await scratchDatabase(process.env.DATABASE_URL!, suffix);
  try {
    if (prepare) await prepare(scratch.url);
    const db = await openDatabase({ databaseUrl: scratch.url, dataDir: os.tmpdir() });
    await db.close();
    return await pgDumpSchema(scratch.url);
  } finally {
    await scratch.drop();
  }
}

/**
 * The dump with each table's columns sorted: a down() that adds back a column the up() dropped can
 * only add it at the end of the table (1764000000005 and 0009 do), which is the same schema to
 * every query that names its columns, as this code's all do.
 */
function columnsInAnyOrder(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    if (!/^CREATE TABLE .*\($/.test(lines[i])) continue;
    const columns: string[] = [];
    while (lines[i + 1] !== ');') columns.push(lines[++i].replace(/,$/, ''));
    out.push(...columns.sort());
  }
  return out;
}

describe('migrations/schema.sql', () => {
  test('a fresh database, migrated, has the schema of migrations/schema.sql', async () => {
    const dump = onPostgres ? await postgresSchema('schema_fresh') : await embeddedSchema();
    assertSchemaFile(dump, 'The fresh database');
  });

  test('a database migrated by the old chain (d7fc36f) ends up with the same schema', async () => {
    // The fixture has every migration up to 1764000000011 recorded, so this also shows that the
    // old chain's end state is the new chain's: same tables and the same c2r_geocode_points text.
    const dump = onPostgres
      ? await postgresSchema('schema_upgrade', (url) => runSql(url, oldChainSql()))
      : await embeddedSchema((db) => db.exec(oldChainSql()).then(() => undefined));
    assertSchemaFile(dump, 'The database migrated by the old chain');
  });

  test('each migration\'s down() restores the schema from before its up()', { skip: !onPostgres && 'pg_dump of every step: on PostgreSQL' }, async () => {
    const scratch = await scratchDatabase(process.env.DATABASE_URL!, 'schema_steps');
    const source = (count: number) =>
      new DataSource({ type: 'postgres', url: scratch.url, migrations: migrations.slice(0, count), migrationsTableName: 'typeorm_migrations' });
    try {
      // The schema after each migration, going up one at a time.
      const states = [await pgDumpSchema(scratch.url)];
      for (let k = 1; k <= migrations.length; k++) {
        const ds = await source(k).initialize();
        await ds.runMigrations({ transaction: 'each' }).finally(() => ds.destroy());
        states.push(await pgDumpSchema(scratch.url));
      }
      assertSchemaFile(states.at(-1)!, 'The database migrated one step at a time');
      // Then down again. Initial's down() keeps the postgis extension (it may have been there
      // before), so the walk stops at the state just after it.
      const ds = await source(migrations.length).initialize();
      try {
        for (let k = migrations.length; k > 1; k--) {
          await ds.undoLastMigration({ transaction: 'each' });
          assert.deepEqual(
            columnsInAnyOrder(schemaLines(await pgDumpSchema(scratch.url))),
            columnsInAnyOrder(schemaLines(states[k - 1])),
            `after ${migrations[k - 1].name}'s down() the schema is not the one before its up()`,
          );
        }
      } finally {
        await ds.destroy();
      }
    } finally {
      await scratch.drop();
    }
  });
});
