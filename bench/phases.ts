import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { CsvSource } from '../src/reading/csv-source';
import type { CellValue, Row } from '../src/reading/table-source';
import { trimCoordinates } from '../src/writing/cell-values';
import { CsvOutputWriter } from '../src/writing/csv-writer';
import type { OutputWriter } from '../src/writing/output-writer';
import { EXCEL_MAX_ROWS, XlsxOutputWriter } from '../src/writing/xlsx-writer';
import { XlsxThreadWriter } from '../src/writing/xlsx-thread-writer';
import { generateCsv } from './generate-csv';

/**
 * `npm run bench:phases [-- --rows N]`: the reader and the writers each alone, in this process,
 * without a database, so each phase's rows/s can be compared with the end-to-end bench's. The
 * appended columns are made-up addresses of the shape a conversion writes.
 */
const opts = new Command('bench-phases')
  .option('--rows <n>', 'data rows', (v) => Number(v.replace(/_/g, '')), 200_000)
  .option('--repeat <n>', 'times each phase', (v) => Number(v), 1)
  .option('--only <phase>', 'read, xlsx, xlsx-thread or csv')
  .parse()
  .opts<{ rows: number; repeat: number; only?: string }>();

const workDir = path.join(os.tmpdir(), 'c2r-bench');
fs.mkdirSync(workDir, { recursive: true });
const csv = path.join(workDir, `bench-${opts.rows}.csv`);
if (!fs.existsSync(`${csv}.done`)) {
  await generateCsv(csv, opts.rows);
  fs.writeFileSync(`${csv}.done`, '');
}

const mb = (n: number) => `${Math.round(n / 1e6)} MB`;
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);

async function timed(name: string, fn: () => Promise<number>): Promise<void> {
  peakRss = process.memoryUsage.rss();
  lastOutputBytes = 0;
  const t = performance.now();
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const rows = await fn();
  const s = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  // The main thread's busy time (its event loop's active time): what the phase costs the thread
  // that also geocodes, when part of the work runs in another thread.
  const mainS = performance.eventLoopUtilization(elu).active / 1000;
  // CPU time of the whole process (this thread, and zlib's deflate in libuv's pool): on a loaded
  // machine it moves less than the wall time.
  const cpuS = (used.user + used.system) / 1e6;
  console.log(
    `${name.padEnd(28)} ${s.toFixed(2)} s  ${Math.round(rows / s).toLocaleString('en').padStart(9)} rows/s  CPU ${cpuS.toFixed(2)} s (${Math.round(rows / cpuS).toLocaleString('en')} rows per CPU-second)  main thread busy ${mainS.toFixed(2)} s  peak RSS ${mb(peakRss)}${lastOutputBytes ? `  output ${mb(lastOutputBytes)}` : ''}`,
  );
}

async function readAll(): Promise<number> {
  const source = await CsvSource.open(csv, 'bench.csv');
  let n = 0;
  for await (const _ of source.rows(source.sheetName)) n++;
  return n;
}

const APPENDED: CellValue[][] = [
  ['서울특별시', '종로구', '청운효자동', '서울특별시 종로구 청운효자동', '1101053', '정상', null],
  ['경기도', '수원시 장안구', '파장동', '경기도 수원시 장안구 파장동', '3101153', '정상', null],
  ['부산광역시', '해운대구', '우동', '부산광역시 해운대구 우동', '2109052', '근접', '경계에서 12 m'],
  [null, null, null, null, null, '해당없음', null],
];

let lastOutputBytes = 0;

class Discard extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.bytes += chunk.length;
    cb();
  }
}

/** Rows are read first (not timed), then written with the conversion's per-row steps. */
async function writeAll(make: (out: Writable) => OutputWriter): Promise<() => Promise<number>> {
  const source = await CsvSource.open(csv, 'bench.csv');
  const rows: Row[] = [];
  for await (const r of source.rows(source.sheetName)) rows.push(r);
  const header = rows.shift() as string[];
  const sheet = { xIndex: 3, yIndex: 4 };
  return async () => {
    const out = new Discard();
    const writer = make(out);
    writer.startSheet({ name: 'bench', leadingRows: [], header, appendedHeader: ['시도', '시군구', '읍면동', '주소', '코드', '결과', '비고'], sample: rows.slice(0, 200) });
    for (let i = 0; i < rows.length; i++) {
      writer.writeRow(trimCoordinates(rows[i]!, sheet), APPENDED[i & 3]!.slice());
      if (i % 250 === 249) await writer.drained?.();
    }
    await writer.finish();
    lastOutputBytes = out.bytes;
    return rows.length;
  };
}

const xlsx = !opts.only || opts.only === 'xlsx' ? await writeAll((o) => new XlsxOutputWriter(o, EXCEL_MAX_ROWS, true)) : null;
const xlsxThread = !opts.only || opts.only === 'xlsx-thread' ? await writeAll((o) => new XlsxThreadWriter(o, EXCEL_MAX_ROWS, true)) : null;
const csvOut = !opts.only || opts.only === 'csv' ? await writeAll((o) => new CsvOutputWriter(o, false)) : null;
for (let i = 0; i < opts.repeat; i++) {
  if (!opts.only || opts.only === 'read') await timed('read CSV', readAll);
  if (xlsx) await timed('write XLSX (rows in memory)', xlsx);
  if (xlsxThread) await timed('write XLSX in a thread', xlsxThread);
  if (csvOut) await timed('write CSV (rows in memory)', csvOut);
}
clearInterval(sampler);
