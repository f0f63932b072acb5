import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * What `npm run schema:dump` and test/schema.test.ts share: scratch PostgreSQL databases, the
 * pg_dump that describes a schema, and the comparison that ignores what varies between runs.
 */
export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations/schema.sql');

export const PG_DUMP_ARGS = ['--schema-only', '--no-owner', '--no-privileges'];

/**
 * The lines that say nothing about the schema: comments (the versions of server and pg_dump among
 * them), session settings, and psql's \restrict guard, whose key is new at every dump.
 */
const IGNORED_LINE = /^(--|SET |SELECT pg_catalog\.set_config|\\restrict |\\unrestrict )/;

export function schemaLines(dump: string): string[] {
  return dump.split(/\r?\n/).filter((line) => line.trim() !== '' && !IGNORED_LINE.test(line));
}

/** pg_dump's output as it goes into migrations/schema.sql: without the \restrict key lines, which differ at every run. */
export function withoutRestrictKeys(dump: string): string {
  return dump.replace(/^\\(un)?restrict .*\n/gm, '');
}

/** `pg_dump --schema-only --no-owner --no-privileges` of a PostgreSQL database (PG_DUMP names another pg_dump). */
export async function pgDumpSchema(url: string, extraArgs: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(process.env.PG_DUMP || 'pg_dump', [...PG_DUMP_ARGS, ...extraArgs, '--dbname', url], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** The URL of database `name` on the server of `url`. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The name of the database in `url`. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Runs one statement on its own connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function runSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A new, empty database beside the one at `url`, named `<that name>_<suffix>` (dropped first if a
 * failed run left it), with a drop() for the end.
 */
export async function scratchDatabase(url: string, suffix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${databaseName(url)}_${suffix}`;
  const admin = (sql: string) => runSql(url, sql);
  const quoted = `"${name.replace(/"/g, '""')}"`;
  await admin(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${quoted}`);
  return { url: databaseUrl(url, name), drop: () => admin(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`) };
}
