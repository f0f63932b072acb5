import type { OldWayResult } from './old-way';
import type { GridReadiness } from './server-process';
import type { PhaseTimings } from '../src/entities/Conversion';

export interface RunFigures {
  uploadMs: number;
  /** Upload start → the subscription reports COMPLETED (download-ready). */
  readyMs: number;
  /** Upload start → the output is downloaded. */
  endToEndMs: number;
  outputBytes: number;
  timings: PhaseTimings;
  counts: { matched: number; nearest: number; unmatched: number; invalid: number };
  peakRssBytes: number;
  /** Sampled every 100 ms in the server: V8 heap in use and reserved, memory outside the heap. */
  peakHeapUsedBytes: number;
  peakHeapTotalBytes: number;
  peakExternalBytes: number;
  /** False when the peak could not be reset between runs (then it covers the process's life). */
  peakIsPerRun: boolean;
  /** Response times of regionCounts and problemRows on the finished conversion. */
  summaries?: import('./api-client').SummaryTimings;
}

export interface BenchReport {
  database: 'embedded' | 'postgresql';
  rows: number;
  fileBytes: number;
  format: string;
  chunkRows: number | null;
  machine: { nproc: number; memTotalBytes: number; loadAverage: number[] };
  startupMs: number;
  /** The default set's interior grid: 'ready' (loaded or built before the runs) or 'off'. */
  grid: GridReadiness;
  idleRssBytes: number | null;
  runs: RunFigures[];
  oldWay: OldWayResult | null;
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const perSecond = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : Infinity);
const mb = (bytes: number) => bytes / (1024 * 1024);

/** The figures the issue asks for, derived from the runs (medians when there are several). */
export function summarize(r: BenchReport) {
  const pick = (f: (run: RunFigures) => number) => median(r.runs.map(f));
  const t = {
    analyzeMs: pick((x) => x.timings.analyzeMs),
    readMs: pick((x) => x.timings.readMs),
    geocodeMs: pick((x) => x.timings.geocodeMs),
    writeMs: pick((x) => x.timings.writeMs),
    totalMs: pick((x) => x.timings.totalMs),
  };
  const gridShare = pick((x) => (x.timings.gridMatchedRows ?? 0) / r.rows);
  const readyMs = pick((x) => x.readyMs);
  const endToEndMs = pick((x) => x.endToEndMs);
  const geocodePointsPerSec = perSecond(r.rows, t.geocodeMs);
  const oldWayPointsPerSec = r.oldWay ? perSecond(r.oldWay.points, r.oldWay.ms) : null;
  return {
    uploadMs: pick((x) => x.uploadMs),
    readyMs,
    endToEndMs,
    timings: t,
    gridShare,
    rowsPerSec: {
      analyze: perSecond(r.rows, t.analyzeMs),
      read: perSecond(r.rows, t.readMs),
      geocode: geocodePointsPerSec,
      write: perSecond(r.rows, t.writeMs),
      serverTotal: perSecond(r.rows, t.totalMs),
      uploadToReady: perSecond(r.rows, readyMs),
      endToEnd: perSecond(r.rows, endToEndMs),
    },
    peakRssMB: Math.max(...r.runs.map((x) => mb(x.peakRssBytes))),
    /** The first run's peak is the one to compare across file sizes: V8 keeps the heap it grew in one run for the next. */
    firstRunPeakRssMB: mb(r.runs[0].peakRssBytes),
    peakHeapUsedMB: Math.max(...r.runs.map((x) => mb(x.peakHeapUsedBytes))),
    peakHeapTotalMB: Math.max(...r.runs.map((x) => mb(x.peakHeapTotalBytes))),
    peakExternalMB: Math.max(...r.runs.map((x) => mb(x.peakExternalBytes))),
    oldWayPointsPerSec,
    geocodeVsOldWay: oldWayPointsPerSec ? geocodePointsPerSec / oldWayPointsPerSec : null,
  };
}

export function printReport(r: BenchReport, json: boolean): void {
  const s = summarize(r);
  if (json) {
    console.log(JSON.stringify({ ...r, summary: s }, null, 2));
    return;
  }
  const n = (v: number) => Math.round(v).toLocaleString('en');
  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const c = r.runs[r.runs.length - 1].counts;
  const lines = [
    `coord2region bench — ${r.database}, ${n(r.rows)} rows (${mb(r.fileBytes).toFixed(1)} MB CSV) → ${r.format}` +
      `${r.chunkRows ? `, CHUNK_ROWS ${r.chunkRows}` : ''}${r.runs.length > 1 ? `, median of ${r.runs.length} runs` : ''}`,
    `machine: ${r.machine.nproc} CPUs, ${(r.machine.memTotalBytes / 2 ** 30).toFixed(1)} GiB, load ${r.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
    `interior grid: ${r.grid.state}${r.grid.state === 'ready' ? ` (in memory ${sec(r.grid.ms)} after start), matched ${(s.gridShare * 100).toFixed(1)}% of rows without PostGIS` : ''}`,
    `results: ${n(c.matched)} matched (${n(c.nearest)} nearest), ${n(c.unmatched)} no match, ${n(c.invalid)} invalid`,
    '',
    `  phase                 time      rows/s`,
    `  analyze          ${sec(s.timings.analyzeMs).padStart(9)}  ${n(s.rowsPerSec.analyze).padStart(10)}`,
    `  read             ${sec(s.timings.readMs).padStart(9)}  ${n(s.rowsPerSec.read).padStart(10)}`,
    `  geocode          ${sec(s.timings.geocodeMs).padStart(9)}  ${n(s.rowsPerSec.geocode).padStart(10)}`,
    `  write            ${sec(s.timings.writeMs).padStart(9)}  ${n(s.rowsPerSec.write).padStart(10)}`,
    `  server total     ${sec(s.timings.totalMs).padStart(9)}  ${n(s.rowsPerSec.serverTotal).padStart(10)}`,
    `  upload→ready     ${sec(s.readyMs).padStart(9)}  ${n(s.rowsPerSec.uploadToReady).padStart(10)}   (upload alone ${sec(s.uploadMs)})`,
    `  end to end       ${sec(s.endToEndMs).padStart(9)}  ${n(s.rowsPerSec.endToEnd).padStart(10)}   (upload → COMPLETED → downloaded)`,
    '',
    `peak server memory: ${s.peakRssMB.toFixed(0)} MB RSS${r.runs.length > 1 ? ` (first run ${s.firstRunPeakRssMB.toFixed(0)} MB)` : ''}, idle after start ${r.idleRssBytes ? mb(r.idleRssBytes).toFixed(0) : '?'} MB` +
      `${r.runs.every((x) => x.peakIsPerRun) ? '' : ' — includes start-up, the peak could not be reset'}`,
    `  of which V8 heap: ${s.peakHeapUsedMB.toFixed(0)} MB used, ${s.peakHeapTotalMB.toFixed(0)} MB reserved; outside the heap: ${s.peakExternalMB.toFixed(0)} MB`,
  ];
  if (r.oldWay && s.oldWayPointsPerSec && s.geocodeVsOldWay) {
    lines.push(
      `old way (one ST_Within … LIMIT 1 query per point, ${n(r.oldWay.points)} points): ${n(s.oldWayPointsPerSec)} points/s`,
      `geocode phase vs old way: ${s.geocodeVsOldWay.toFixed(1)}×`,
    );
  }
  console.log(lines.join('\n'));
}
