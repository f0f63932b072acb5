import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { generateCsv } from './generate-csv';
import { summarize, type BenchReport } from './report';
import type { GridComparison } from './server-process';

/**
 * `npm run bench:peers [-- --rows N --repeat K]`: the peers table of the README in one run, on one
 * generated file:
 * - coord2region through its API (`bench/run.ts --json --boundary-set tl-scco`), on PostgreSQL
 *   (`DATABASE_URL` or `--database-url`) and on the embedded default, on the bundled KOSTAT set
 *   and on the TL_SCCO sample when `../shared/data/tl-scco-sample` is there;
 * - one query per point, the old consumer's way, on the same databases (from the same runs);
 * - what a user would do without the service: geopandas `sjoin` + `to_excel`
 *   (bench/peer_geopandas.py) with Debian's python3-geopandas, skipped with a note when it is
 *   not installed.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const TL_SCCO = path.resolve(ROOT, '../shared/data/tl-scco-sample');

const positiveInt = (v: string) => {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const opts = new Command('bench:peers')
  .description('coord2region beside one query per point and geopandas, on the same file, in one run.')
  .option('--rows <n>', 'data rows in the generated CSV', positiveInt, 200_000)
  .option('--repeat <n>', 'conversions per set and database (medians)', positiveInt, 3)
  .option('--database-url <url>', 'PostgreSQL with PostGIS (default: $DATABASE_URL; without it only the embedded database is benched)')
  .option('--no-embedded', 'skip the embedded database')
  .option('--python <path>', 'the Python with geopandas (Debian: /usr/bin/python3)', '/usr/bin/python3')
  .parse()
  .opts<{ rows: number; repeat: number; databaseUrl?: string; embedded: boolean; python: string }>();
const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL ?? undefined;

const workDir = path.join(os.tmpdir(), 'c2r-bench');
fs.mkdirSync(workDir, { recursive: true });
const csv = path.join(workDir, `bench-${opts.rows}.csv`);
if (!fs.existsSync(`${csv}.done`)) {
  console.error(`Generating ${opts.rows.toLocaleString('en')} rows…`);
  await generateCsv(csv, opts.rows);
  fs.writeFileSync(`${csv}.done`, '');
}

interface Row {
  what: string;
  database: string;
  set: string;
  endToEndMs: number | null;
  geocodeMs: number | null;
  writeMs: number | null;
  pointsPerSec: number | null;
  inside: number | null;
  peakRssMB: number | null;
  note: string;
}
const rows: Row[] = [];
const hasSample = fs.existsSync(path.join(TL_SCCO, 'TL_SCCO_LI.shp'));

for (const database of [...(databaseUrl ? ['postgresql'] : []), ...(opts.embedded ? ['embedded'] : [])]) {
  console.error(`coord2region on ${database}…`);
  const args = ['--import', 'tsx', path.join(HERE, 'run.ts'), '--json', '--rows', String(opts.rows), '--repeat', String(opts.repeat), '--old-way-points', '5000'];
  if (hasSample) args.push('--boundary-set', 'tl-scco', '--check-points', '1000');
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  if (database === 'embedded') delete env.DATABASE_URL;
  const run = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  // run.ts exits 1 after printing its report when the grid and PostGIS disagree on a point.
  if (run.status !== 0 && !run.stdout.trim()) throw new Error(`bench/run.ts on ${database} failed (exit ${run.status})`);
  const out = JSON.parse(run.stdout) as BenchReport | { bundled: BenchReport; 'tl-scco': BenchReport; check: GridComparison };
  if ('check' in out && out.check.differing > 0) {
    console.error(`${database}: the TL_SCCO grid and PostGIS disagree on ${out.check.differing} of ${out.check.points} points (first: ${out.check.firstDifference})`);
    process.exitCode = 1;
  }
  const reports: [string, BenchReport][] = 'bundled' in out ? [['KOSTAT 2018', out.bundled], ['TL_SCCO sample', out['tl-scco']]] : [['KOSTAT 2018', out]];
  for (const [set, report] of reports) {
    const s = summarize(report);
    const last = report.runs[report.runs.length - 1].counts;
    rows.push({
      what: 'coord2region',
      database,
      set,
      endToEndMs: s.endToEndMs,
      geocodeMs: s.timings.geocodeMs,
      writeMs: s.timings.writeMs,
      pointsPerSec: s.rowsPerSec.geocode,
      inside: last.matched - last.nearest,
      peakRssMB: s.firstRunPeakRssMB,
      note: `grid ${(s.gridShare * 100).toFixed(1)}%, ${last.nearest.toLocaleString('en')} more by nearest boundary`,
    });
  }
  const oldWay = reports[0][1].oldWay;
  if (oldWay) {
    const pps = (oldWay.points * 1000) / oldWay.ms;
    rows.push({
      what: 'one query per point',
      database,
      set: 'KOSTAT 2018',
      endToEndMs: null,
      geocodeMs: (opts.rows / pps) * 1000,
      writeMs: null,
      pointsPerSec: pps,
      inside: null,
      peakRssMB: null,
      note: `${oldWay.points.toLocaleString('en')} points timed, ${opts.rows.toLocaleString('en')} extrapolated`,
    });
  }
}

const python = spawnSync(opts.python, ['-c', 'import geopandas, openpyxl, rtree; print(geopandas.__version__)'], { encoding: 'utf8' });
if (python.status !== 0) {
  rows.push({ what: 'geopandas sjoin + to_excel', database: '—', set: '—', endToEndMs: null, geocodeMs: null, writeMs: null, pointsPerSec: null, inside: null, peakRssMB: null, note: `skipped: no geopandas in ${opts.python} (Debian: apt-get install python3-geopandas)` });
} else {
  const sets: [string, string, string][] = [['kostat', 'KOSTAT 2018', path.join(ROOT, 'data/boundaries')]];
  if (hasSample) sets.push(['tl-scco', 'TL_SCCO sample', TL_SCCO]);
  for (const [name, set, dir] of sets) {
    console.error(`geopandas ${python.stdout.trim()} on ${set}…`);
    const out = path.join(workDir, `peer-geopandas-${name}.xlsx`);
    const t0 = performance.now();
    const stdout = execFileSync(opts.python, [path.join(HERE, 'peer_geopandas.py'), '--csv', csv, '--set', name, '--boundaries', dir, '--out', out], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const wallMs = performance.now() - t0;
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { inside: number; sjoinMs: number; writeMs: number; totalMs: number; peakRssMB: number };
    rows.push({
      what: 'geopandas sjoin + to_excel',
      database: 'files',
      set,
      endToEndMs: wallMs,
      geocodeMs: r.sjoinMs,
      writeMs: r.writeMs,
      pointsPerSec: (opts.rows * 1000) / r.sjoinMs,
      inside: r.inside,
      peakRssMB: r.peakRssMB,
      note: `read+load boundaries ${((r.totalMs - r.sjoinMs - r.writeMs) / 1000).toFixed(1)} s (no nearest fallback)`,
    });
    fs.rmSync(out, { force: true });
  }
}

const sec = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);
const n = (v: number | null) => (v === null ? '—' : Math.round(v).toLocaleString('en'));
console.log(`\n${opts.rows.toLocaleString('en')} rows, CSV → XLSX, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.availableParallelism()} CPUs)\n`);
console.log('| tool | database | boundaries | end to end | geocode / sjoin | points/s | write | inside a polygon | peak RSS | note |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.what} | ${r.database} | ${r.set} | ${sec(r.endToEndMs)} | ${sec(r.geocodeMs)} | ${n(r.pointsPerSec)} | ${sec(r.writeMs)} | ${n(r.inside)} | ${r.peakRssMB === null ? '—' : `${r.peakRssMB.toFixed(0)} MB`} | ${r.note} |`);
}
