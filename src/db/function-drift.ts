import type { DataSource } from 'typeorm';

/** A function as the migrations leave it installed: its CREATE FUNCTION statement. */
export interface ExpectedFunction {
  name: string;
  sql: string;
  /** Where the text comes from, for messages. */
  source: string;
}

export type FunctionState = 'ok' | 'missing' | 'differs';

export interface FunctionCheck {
  name: string;
  /** 'missing': no function of that name takes the expected arguments; 'differs': its definition is another. */
  state: FunctionState;
  source: string;
  /** Other functions of the same name (other argument lists), as `name(types)`: left behind by a missed DROP. */
  extraSignatures: string[];
  /** For 'differs': the first line where the installed definition departs from the expected one. */
  firstDifference?: { line: number; installed: string; expected: string };
}

export interface FunctionDriftReport {
  ok: boolean;
  functions: FunctionCheck[];
}

/**
 * Compares the functions installed in the current schema with the texts the code expects, as
 * pg-boss's drifter compares function bodies. The expected texts are created as temporary functions
 * (pg_temp, in a transaction that is rolled back) so that PostgreSQL itself prints both sides with
 * pg_get_functiondef: arguments, result, language, volatility and body are compared exactly, with no
 * parsing of SQL here. Only the schema that qualifies the name is left out of the comparison.
 */
export async function checkFunctionDrift(dataSource: DataSource, expected: ExpectedFunction[]): Promise<FunctionDriftReport> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  let rows: Array<{ name: string; temporary: boolean; args: string; signature: string; def: string }>;
  try {
    await runner.startTransaction();
    try {
      // The bodies are compared as text; nothing they refer to needs to resolve.
      await runner.query(`SET LOCAL check_function_bodies = off`);
      for (const fn of expected) await runner.query(asTemporary(fn));
      rows = await runner.query(
        `SELECT p.proname AS name, p.pronamespace = pg_my_temp_schema() AS temporary,
                pg_get_function_identity_arguments(p.oid) AS args,
                p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS def
           FROM pg_proc p
          WHERE p.proname = ANY($1)
            AND (p.pronamespace = pg_my_temp_schema() OR p.pronamespace = current_schema()::regnamespace)`,
        [expected.map((f) => f.name)],
      );
    } finally {
      await runner.rollbackTransaction();
    }
  } finally {
    await runner.release();
  }

  const functions = expected.map((fn): FunctionCheck => {
    const want = rows.find((r) => r.name === fn.name && r.temporary)!;
    const live = rows.filter((r) => r.name === fn.name && !r.temporary);
    const same = live.find((r) => r.args === want.args);
    const extraSignatures = live.filter((r) => r !== same).map((r) => r.signature);
    if (!same) return { name: fn.name, state: 'missing', source: fn.source, extraSignatures };
    const installed = unqualified(same.def);
    const wanted = unqualified(want.def);
    if (installed === wanted) return { name: fn.name, state: 'ok', source: fn.source, extraSignatures };
    return { name: fn.name, state: 'differs', source: fn.source, extraSignatures, firstDifference: firstDifference(installed, wanted) };
  });
  return { ok: functions.every((f) => f.state === 'ok' && f.extraSignatures.length === 0), functions };
}

/** One line per function that is not as expected, for the log. */
export function describeDrift(report: FunctionDriftReport): string[] {
  return report.functions
    .filter((f) => f.state !== 'ok' || f.extraSignatures.length)
    .map((f) => {
      const what =
        f.state === 'missing'
          ? `is missing (no ${f.name} with the arguments of ${f.source})`
          : f.state === 'differs'
            ? `differs from ${f.source} (definition line ${f.firstDifference!.line}: installed ${JSON.stringify(f.firstDifference!.installed)}, expected ${JSON.stringify(f.firstDifference!.expected)})`
            : `is as in ${f.source}`;
      const extra = f.extraSignatures.length ? `; also installed: ${f.extraSignatures.join(', ')}` : '';
      return `SQL function ${f.name} ${what}${extra}`;
    });
}

function asTemporary(fn: ExpectedFunction): string {
  const header = new RegExp(`(CREATE\\s+(?:OR\\s+REPLACE\\s+)?FUNCTION\\s+)(?:public\\.)?${fn.name}\\s*\\(`, 'i');
  if (!header.test(fn.sql)) throw new Error(`${fn.source} does not create function ${fn.name}`);
  return fn.sql.replace(header, `$1pg_temp.${fn.name}(`);
}

/** pg_get_functiondef names the function with its schema (public., pg_temp_3.); the rest must match. */
function unqualified(def: string): string {
  return def.replace(/^(CREATE OR REPLACE FUNCTION )[^(.]+\./, '$1');
}

function firstDifference(installed: string, expected: string): { line: number; installed: string; expected: string } {
  const a = installed.split('\n');
  const b = expected.split('\n');
  let i = 0;
  while (i < Math.max(a.length, b.length) && a[i] === b[i]) i++;
  return { line: i + 1, installed: a[i] ?? '', expected: b[i] ?? '' };
}

/** What /healthz says of the SQL functions: as expected, which differ, or that the check failed. */
export type SqlFunctionsStatus =
  | { status: 'ok' }
  | { status: 'drift'; functions: FunctionCheck[] }
  | { status: 'unchecked'; error: string };

/**
 * Runs the check and logs a warning per function that is not as expected. It never stops the
 * start: the migrations are the only path that changes these functions, so drift means a hand
 * edit or a migration missing from the chain; the functions may still work (a hand-applied fix),
 * and where they do not, the conversions that call them fail with the database's own error.
 */
export async function checkSqlFunctions(
  dataSource: DataSource,
  expected: ExpectedFunction[],
  log: { warn(msg: string, extra?: unknown): void },
): Promise<SqlFunctionsStatus> {
  try {
    const report = await checkFunctionDrift(dataSource, expected);
    if (report.ok) return { status: 'ok' };
    for (const line of describeDrift(report)) log.warn(line);
    return { status: 'drift', functions: report.functions.filter((f) => f.state !== 'ok' || f.extraSignatures.length) };
  } catch (err) {
    log.warn('Could not compare the installed SQL functions with the expected texts', err);
    return { status: 'unchecked', error: (err as Error).message };
  }
}
