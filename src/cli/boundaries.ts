import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config';
import { openDatabase } from '../db/database';
import { UserInputError } from '../errors';
import { importPlan } from '../boundaries/import-files';
import { planImport } from '../boundaries/import-plan';
import type { ImportProgress } from '../boundaries/import-service';
import { describePlan, describeResult, describeSets } from '../boundaries/import-text';
import { BoundarySetService } from '../boundaries/set-service';
import { InteriorGridCache } from '../geocode/interior-grid-cache';
import { createLogger } from '../logger';

/**
 * `npm run boundaries -- import <files…>` and `npm run boundaries -- list`, against the database
 * the server uses (DATABASE_URL, else the embedded one in DATA_DIR). The report goes to stdout,
 * progress to stderr, so the report can be kept with `> report.txt` while progress stays visible.
 */
const program = new Command()
  .name('boundaries')
  .description('Load and list boundary sets (시도/시군구/읍면동/리 polygons) in the coord2region database.')
  .showHelpAfterError();

program
  .command('import')
  .description(
    'Import Shapefiles (.shp with .dbf beside; .prj gives the CRS, .cpg the text encoding, CP949 without one), GeoJSON or TopoJSON as one new set version. ' +
      'TL_SCCO_CTPRVN/SIG/EMD/LI and KOSTAT code/name files are recognised; other files need --level, --code-field and --name-field.',
  )
  .argument('<files...>', 'boundary files, one per level')
  .option('--set <name>', 'set name (default: tl-scco for the official files, else the first file name); an existing name gets a new version')
  .option('--valid-from <date>', 'import as a dated version valid from this day (YYYY-MM-DD) until the next version of the set starts', parseDay)
  .option('--label <text>', "the set's column label when a conversion uses it beside another set, e.g. 법정동 (읍면동(법정동), 리(법정동))")
  .option('--srid <epsg>', 'EPSG code of the coordinates, overriding .prj / GeoJSON crs', parseEpsg)
  .option('--encoding <name>', 'DBF text encoding, overriding .cpg (default cp949)')
  .option('--level <levels>', 'level of each file in order, comma-separated (1 시도, 2 시군구, 3 읍면동, 4 리)', parseIntList)
  .option('--code-field <fields>', 'field holding the code: one for all files, or comma-separated per file', parseList)
  .option('--name-field <fields>', 'field holding the name: one for all files, or comma-separated per file', parseList)
  .option('--no-grid', 'do not build the interior grid now (a server then builds it on first use)')
  .action(async (files: string[], opts: { set?: string; validFrom?: string; label?: string; srid?: number; encoding?: string; level?: number[]; codeField?: string[]; nameField?: string[]; grid?: boolean }) => {
    const skipped: { file: string; why: string }[] = [];
    const plan = await planImport(files, {
      set: opts.set,
      srid: opts.srid,
      encoding: opts.encoding,
      levels: opts.level,
      codeFields: opts.codeField,
      nameFields: opts.nameField,
      onSkip: (file, why) => {
        skipped.push({ file, why });
        process.stderr.write(`skipped in ${path.basename(file)}: ${why}\n`);
      },
    });
    await withDatabase(async (dataSource) => {
      const progress = new ProgressPrinter(new Map(plan.files.map((f) => [f.level, f.records])));
      const result = await importPlan(dataSource, plan, {
        validFrom: opts.validFrom,
        label: opts.label,
        onPlan: () => {
          for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
          process.stderr.write(`Importing into set "${plan.name}":\n${describePlan(plan).join('\n')}\n`);
        },
        onProgress: (e) => progress.update(e),
        onStep: (step) => process.stderr.write(`… ${step}\n`),
      });
      process.stdout.write(describeResult({ ...result, skipped }).join('\n') + '\n');
      if (opts.grid !== false) {
        // Built now, so a server has the set at full speed from its first conversion on.
        process.stderr.write(`… building the interior grid (once per set)\n`);
        const t = Date.now();
        const grids = new InteriorGridCache(dataSource, createLogger('error'));
        await grids.prepare(result.report.setId);
        process.stderr.write(`… interior grid ${grids.state(result.report.setId)} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
      }
    });
  });

program
  .command('list')
  .description('List the loaded boundary sets: levels, feature counts, source, load time.')
  .option('--all', 'also list versions replaced by a re-import')
  .action(async (opts: { all?: boolean }) => {
    await withDatabase(async (dataSource, defaultName) => {
      const service = new BoundarySetService(dataSource, defaultName);
      const sets = opts.all ? await service.listAll() : await service.listCurrent();
      const current = opts.all ? await service.listCurrent() : sets;
      // "default" is judged among current versions, newest first, as the API does.
      const lines = describeSets(sets, defaultName ?? current[0]?.name);
      process.stdout.write(lines.join('\n') + '\n');
    });
  });

/** Prints one progress line per level at most once a second, and always the level's last count. */
class ProgressPrinter {
  private lastAt = 0;
  private lastLevel = -1;

  constructor(private readonly totals: Map<number, number>) {}

  update(e: ImportProgress): void {
    const total = this.totals.get(e.level);
    const done = total !== undefined && e.featuresLoaded >= total;
    const now = Date.now();
    if (e.level === this.lastLevel && !done && now - this.lastAt < 1000) return;
    this.lastAt = now;
    this.lastLevel = e.level;
    const of = total ? ` / ${total.toLocaleString('en-US')}` : '';
    process.stderr.write(`  ${e.levelName}: ${e.featuresLoaded.toLocaleString('en-US')}${of} features loaded\n`);
  }
}

async function withDatabase(work: (dataSource: import('typeorm').DataSource, defaultName: string | undefined) => Promise<void>): Promise<void> {
  const config = loadConfig();
  // Not reachable, locked by a running server (embedded), not PostGIS: the message says which.
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }).catch((err: Error) => {
    throw new UserInputError(`cannot open the database: ${err.message}`, 'DATABASE_UNAVAILABLE');
  });
  try {
    await work(db.dataSource, config.defaultBoundarySet);
  } finally {
    await db.close();
  }
}

function parseEpsg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('an EPSG code is a positive integer, e.g. 5179');
  return n;
}

function parseDay(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  const day = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!day || day.toISOString().slice(0, 10) !== value.trim()) throw new InvalidArgumentError('a day as YYYY-MM-DD, e.g. 2013-01-01');
  return value.trim();
}

function parseList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

function parseIntList(value: string): number[] {
  return parseList(value).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${v}" is not a level (1, 2, 3, …)`);
    return n;
  });
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A problem with the input is the user's to fix: say what it is, without a stack trace.
  if (err instanceof UserInputError) process.stderr.write(`error: ${err.message}\n`);
  else process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
