import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { download, getConversion, timeSummaries, untilFinished, upload, type FinishedConversion } from './api-client';
import { generateCsv, pointGenerator, seededRandom } from './generate-csv';
import { ServerProcess } from './server-process';
import { printReport, summarize, type BenchReport, type RunFigures } from './report';
import { prepareTlSccoSample, TL_SCCO_SET } from './tl-scco';

/**
 * `npm run bench [-- --rows N --json]`: the full path through the API (multipart upload →
 * COMPLETED → download) with a generated CSV, against the server in a child process, then the
 * old way (one query per point) on the same database in the same run. With `--boundary-set
 * tl-scco` the same file is converted on the bundled set and on the TL_SCCO sample (official
 * layout, 리 only under 읍/면) in the same run, and the sample's answers with and without the
 * interior grid are compared point for point.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const positiveInt = (v: string) => {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

const program = new Command('bench')
  .description('Times a conversion through the API and the old one-query-per-point way on the same database.')
  .option('--rows <n>', 'data rows in the generated CSV', positiveInt, 200_000)
  .option('--repeat <n>', 'conversions of the same file on the same server; medians are reported', positiveInt, 1)
  .option('--old-way-points <n>', 'points for the one-query-per-point loop (0 skips it)', (v) => (v === '0' ? 0 : positiveInt(v)), 10_000)
  .option('--format <format>', 'output format: XLSX or CSV', 'XLSX')
  .option('--chunk-rows <n>', 'CHUNK_ROWS for the server (default: its own default)', positiveInt)
  .option('--database-url <url>', 'PostgreSQL with PostGIS (default: $DATABASE_URL, else the embedded database)')
  .option('--no-grid', 'INTERIOR_GRID=off: every point through PostGIS, to see what the grid buys')
  .option('--boundary-set <name>', 'also bench this set beside the bundled one: tl-scco (the sample in ../shared/data/tl-scco-sample)')
  .option('--check-points <n>', 'with --boundary-set: points geocoded with and without the grid and compared', positiveInt, 200_000)
  .option('--boundary-sets <names>', 'also convert with these sets in one pass (comma-separated, e.g. kostat-2018,tl-scco) and compare the geocode phase with the first set alone; tl-scco is imported from ../shared/data/tl-scco-sample when present', (v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .option('--dated', 'also convert a file dated half 2013, half 2018 against the dated kostat set (each row its version) and compare the geocode phase with kostat-2018 alone')
  .option('--json', 'print one JSON object instead of the table')
  .parse();

const opts = program.opts<{
  rows: number;
  repeat: number;
  oldWayPoints: number;
  format: string;
  chunkRows?: number;
  databaseUrl?: string;
  json?: boolean;
  grid: boolean;
  boundarySet?: string;
  checkPoints: number;
  boundarySets?: string[];
  dated?: boolean;
}>();
if (opts.boundarySet && opts.boundarySet !== TL_SCCO_SET) program.error(`--boundary-set: only ${TL_SCCO_SET} is known to the bench`);
const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL ?? undefined;
const log = (line: string) => {
  if (!opts.json) console.error(line);
};

const workDir = path.join(os.tmpdir(), 'c2r-bench');
fs.mkdirSync(workDir, { recursive: true });
const csv = path.join(workDir, `bench-${opts.rows}.csv`);
if (!fs.existsSync(`${csv}.done`)) {
  log(`Generating ${opts.rows.toLocaleString('en')} rows…`);
  await generateCsv(csv, opts.rows);
  fs.writeFileSync(`${csv}.done`, '');
}
const fileBytes = fs.statSync(csv).size;
// The same rows, recorded half in 2013 and half in 2018 (alternating), for --dated.
const datedCsv = path.join(workDir, `bench-${opts.rows}-dated.csv`);
if (opts.dated && !fs.existsSync(`${datedCsv}.done`)) {
  await writeDatedCopy(csv, datedCsv);
  fs.writeFileSync(`${datedCsv}.done`, '');
}

// The embedded database keeps its folder between runs (its first start loads the boundaries,
// which takes a while); with PostgreSQL only uploads and outputs live in DATA_DIR.
const dataDir = databaseUrl ? fs.mkdtempSync(path.join(workDir, 'data-')) : path.join(ROOT, '.tmp/bench-embedded');
const compareSet = opts.boundarySet || opts.boundarySets?.includes(TL_SCCO_SET) ? await prepareTlSccoSample({ databaseUrl, dataDir, log }) : null;
if (opts.boundarySet && !compareSet) log(`--boundary-set ${opts.boundarySet}: the sample is not there; benching the bundled set only.`);
log(`Starting the server (${databaseUrl ? 'PostgreSQL' : 'embedded PGlite'})…`);
const startedAt = performance.now();
const server = await ServerProcess.start({
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl ?? '',
  LOG_LEVEL: 'error',
  INTERIOR_GRID: opts.grid ? 'on' : 'off',
  ...(compareSet ? { DEFAULT_BOUNDARY_SET: compareSet.defaultName } : {}),
  ...(opts.chunkRows ? { CHUNK_ROWS: String(opts.chunkRows) } : {}),
});
const startupMs = performance.now() - startedAt;
const idleRssBytes = server.currentRssBytes();
await server.peakMemory(); // starts the heap sampling window

try {
  const runs = await convert(null);
  const comparedRuns = opts.boundarySet && compareSet ? await convert(TL_SCCO_SET) : null;
  const check = opts.boundarySet && compareSet ? await server.compareGrid(TL_SCCO_SET, opts.checkPoints) : null;

  const comparisons: { what: string; oneSetGeocodeMs: number; geocodeMs: number; ratio: number }[] = [];
  // Each comparison alternates its two conversions --repeat times and takes the medians, so a
  // busy moment of the machine does not land on one side only.
  const medianPair = async (a: () => Promise<number>, b: () => Promise<number>): Promise<[number, number]> => {
    const as: number[] = [];
    const bs: number[] = [];
    for (let k = 0; k < opts.repeat; k++) {
      as.push(await a());
      bs.push(await b());
    }
    const median = (v: number[]) => v.sort((x, y) => x - y)[Math.floor(v.length / 2)];
    return [median(as), median(bs)];
  };
  if (opts.boundarySets) {
    const [first] = opts.boundarySets;
    const [one, all] = await medianPair(
      () => geocodeMsOf(csv, { boundarySet: first }, `${first} alone`),
      () => geocodeMsOf(csv, { boundarySets: opts.boundarySets }, opts.boundarySets!.join(' + ')),
    );
    comparisons.push({ what: `boundarySets ${opts.boundarySets.join(',')} vs ${first}`, oneSetGeocodeMs: one, geocodeMs: all, ratio: all / one });
  }
  if (opts.dated) {
    const [one, dated] = await medianPair(
      () => geocodeMsOf(datedCsv, { boundarySet: 'kostat-2018' }, 'dated file, kostat-2018 alone'),
      () => geocodeMsOf(datedCsv, { boundarySet: 'kostat' }, 'dated file, per-row versions of kostat'),
    );
    comparisons.push({ what: 'per-row dates over kostat 2013 + 2018 vs kostat-2018', oneSetGeocodeMs: one, geocodeMs: dated, ratio: dated / one });
  }
  for (const c of comparisons) {
    log(`${c.what}: geocode ${(c.geocodeMs / 1000).toFixed(2)} s vs ${(c.oneSetGeocodeMs / 1000).toFixed(2)} s = ${c.ratio.toFixed(2)}×`);
  }

  let oldWay = null;
  if (opts.oldWayPoints > 0) {
    log(`One query per point, ${opts.oldWayPoints.toLocaleString('en')} points…`);
    const next = pointGenerator(seededRandom(7));
    oldWay = await server.oldWay(Array.from({ length: opts.oldWayPoints }, next));
  }

  const report = (of: RunFigures[]): BenchReport => ({
    database: databaseUrl ? 'postgresql' : 'embedded',
    rows: opts.rows,
    fileBytes,
    format: opts.format,
    chunkRows: opts.chunkRows ?? null,
    machine: { nproc: os.availableParallelism(), memTotalBytes: os.totalmem(), loadAverage: os.loadavg() },
    startupMs,
    grid: server.grid,
    idleRssBytes,
    runs: of,
    oldWay,
  });
  if (!comparedRuns || !check) printReport(report(runs), Boolean(opts.json));
  else {
    const bundled = summarize(report(runs));
    const tl = summarize(report(comparedRuns));
    const ratio = tl.timings.geocodeMs / bundled.timings.geocodeMs;
    if (opts.json) console.log(JSON.stringify({ bundled: report(runs), [TL_SCCO_SET]: report(comparedRuns), ratio, check }, null, 2));
    else {
      console.log(`=== bundled set (${compareSet!.defaultName}) ===`);
      printReport(report(runs), false);
      console.log(`\n=== ${TL_SCCO_SET} (TL_SCCO sample, 리 only under 읍/면) ===`);
      printReport({ ...report(comparedRuns), oldWay: null }, false);
      const n = (v: number) => Math.round(v).toLocaleString('en');
      console.log(
        [
          '',
          `geocode phase, same run: ${TL_SCCO_SET} ${(tl.timings.geocodeMs / 1000).toFixed(2)} s (${n(tl.rowsPerSec.geocode)} points/s, ` +
            `grid ${(tl.gridShare * 100).toFixed(1)}%) vs ${compareSet!.defaultName} ${(bundled.timings.geocodeMs / 1000).toFixed(2)} s ` +
            `(${n(bundled.rowsPerSec.geocode)} points/s, grid ${(bundled.gridShare * 100).toFixed(1)}%): ${ratio.toFixed(2)}×`,
          `row for row, ${TL_SCCO_SET}: ${n(check.points)} bench points geocoded with the grid (${n(check.gridMatches)} decided by it) ` +
            `and by PostGIS alone over every polygon: ${check.differing === 0 ? 'identical' : `${n(check.differing)} DIFFER (first: ${check.firstDifference})`}`,
        ].join('\n'),
      );
    }
    if (check.differing > 0) process.exitCode = 1;
  }
  for (const c of comparisons) console.log(`${c.what}: geocode phase ${(c.geocodeMs / 1000).toFixed(2)} s vs ${(c.oneSetGeocodeMs / 1000).toFixed(2)} s (${c.ratio.toFixed(2)}×)`);
} finally {
  await server.stop();
  if (databaseUrl) fs.rmSync(dataDir, { recursive: true, force: true });
}

/** The repeated conversions of the CSV on one boundary set (null: the server's default). */
async function convert(boundarySet: string | null): Promise<RunFigures[]> {
  const runs: RunFigures[] = [];
  for (let i = 0; i < opts.repeat; i++) {
    const peakResettable = server.resetPeak();
    log(`Conversion ${i + 1}/${opts.repeat}${boundarySet ? ` on ${boundarySet}` : ''}…`);
    const cpu0 = server.cpuSeconds();
    const t0 = performance.now();
    const id = await upload(server.url, csv, { outputFormat: opts.format, boundarySet: boundarySet ?? 'kostat-2018' });
    const uploadedMs = performance.now() - t0;
    const final = await untilFinished(server.url, id);
    const readyMs = performance.now() - t0;
    const conversion: FinishedConversion = await getConversion(server.url, id);
    if (final.status !== 'COMPLETED' || !conversion.downloadUrl || !conversion.timings) {
      throw new Error(`Conversion ${id} ended ${conversion.status}: ${conversion.error}`);
    }
    const outputBytes = await download(conversion.downloadUrl);
    const endToEndMs = performance.now() - t0;
    const cpu1 = server.cpuSeconds();
    if (cpu0 !== null && cpu1 !== null) log(`server process CPU for this conversion (upload to download): ${(cpu1 - cpu0).toFixed(2)} s`);
    checkCounts(conversion, opts.rows);
    const summaries = await timeSummaries(server.url, id, conversion.nearestRows + conversion.unmatchedRows + conversion.invalidRows);
    log(
      `regionCounts level 1 ${summaries.regionCountsLevel1Ms.toFixed(0)} ms, level 3 ${summaries.regionCountsLevel3Ms.toFixed(0)} ms; ` +
        `problemRows (${summaries.problemRows.toLocaleString('en')}) first 100 ${summaries.problemRowsFirstPageMs.toFixed(0)} ms, ` +
        `100 from the middle ${summaries.problemRowsMiddlePageMs.toFixed(0)} ms`,
    );
    runs.push({
      uploadMs: uploadedMs,
      readyMs,
      endToEndMs,
      outputBytes,
      timings: conversion.timings,
      counts: {
        matched: conversion.matchedRows,
        nearest: conversion.nearestRows,
        unmatched: conversion.unmatchedRows,
        invalid: conversion.invalidRows,
      },
      ...(await peakFigures()),
      peakIsPerRun: peakResettable,
      summaries,
    });
    for (const ext of ['xlsx', 'csv']) fs.rmSync(path.join(dataDir, 'outputs', `${id}.${ext}`), { force: true });
  }
  return runs;
}

/** One conversion with these options; its geocode phase in ms (the read and write phases are shared). */
async function geocodeMsOf(file: string, options: Record<string, unknown>, what: string): Promise<number> {
  log(`Conversion: ${what}…`);
  const id = await upload(server.url, file, { outputFormat: opts.format, ...options });
  await untilFinished(server.url, id);
  const c = await getConversion(server.url, id);
  if (c.status !== 'COMPLETED' || !c.timings) throw new Error(`Conversion ${id} (${what}) ended ${c.status}: ${c.error}`);
  for (const ext of ['xlsx', 'csv']) fs.rmSync(path.join(dataDir, 'outputs', `${id}.${ext}`), { force: true });
  log(`  geocode ${c.timings.geocodeMs} ms, read ${c.timings.readMs} ms, write ${c.timings.writeMs} ms`);
  return c.timings.geocodeMs;
}

/** A copy of the bench file whose rows are recorded in 2013 (odd rows) and 2018 (even rows). */
async function writeDatedCopy(from: string, to: string): Promise<void> {
  const { createInterface } = await import('node:readline');
  const out = fs.createWriteStream(to);
  let n = 0;
  for await (const line of createInterface({ input: fs.createReadStream(from) })) {
    const dated = n === 0 ? line : line.replace(/,2024-/, n % 2 ? ',2013-' : ',2018-');
    if (!out.write(dated + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
    n++;
  }
  await new Promise<void>((r) => out.end(() => r()));
}

async function peakFigures() {
  const m = await server.peakMemory();
  return { peakRssBytes: m.rss, peakHeapUsedBytes: m.heapUsed, peakHeapTotalBytes: m.heapTotal, peakExternalBytes: m.external };
}

/** Every row gets exactly one result: the counters must add up to the file. */
function checkCounts(c: FinishedConversion, rows: number): void {
  const sum = c.matchedRows + c.unmatchedRows + c.invalidRows;
  if (c.processedRows !== rows || c.totalRows !== rows || sum !== rows) {
    throw new Error(`Row accounting is off: total ${c.totalRows}, processed ${c.processedRows}, matched+unmatched+invalid ${sum}, file ${rows}`);
  }
}
