import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import pg from 'pg';
import { InstanceProcess } from '../test/helpers/instance-process';
import { TestS3Server } from '../test/helpers/s3-server';
import { upload } from './api-client';
import { generateCsv } from './generate-csv';

/**
 * `npm run bench:scaling`: how throughput grows with worker instances that share only
 * PostgreSQL and S3 storage (s3rver on a loopback port). For 1, 2, 3… worker instances: an
 * API-only instance (WORKERS=0) takes the same queue of files; then the worker instances
 * (WORKERS=1 each, separate processes) are started and drain it. Throughput is the rows of the
 * queue over the time from the first claim to the last completion (conversions' started_at and
 * finished_at); CPU seconds of the worker processes and of their PostgreSQL backends over the
 * same window say where the time went.
 */
const positiveInt = (v: string) => {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const opts = new Command('bench:scaling')
  .option('--rows <n>', 'data rows per file', positiveInt, 200_000)
  .option('--files <n>', 'files in the queue', positiveInt, 6)
  .option('--workers <list>', 'worker instance counts to run, comma-separated', '1,2,3')
  .option('--format <format>', 'output format: XLSX or CSV', 'XLSX')
  .option('--json', 'print one JSON object instead of the table')
  .parse()
  .opts<{ rows: number; files: number; workers: string; format: string; json?: boolean }>();

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('bench:scaling needs DATABASE_URL (a PostgreSQL with PostGIS): instances share one database.');
const log = (line: string) => opts.json || console.error(line);

/**
 * CPU seconds (user + system, from /proc) that the worker processes and the PostgreSQL backends
 * serving this database used between the first and the last sample. Sampled often, since pooled
 * connections come and go: a backend first seen after the first sample counts from its start.
 * A backend that ends between two samples loses its last 200 ms; other databases' backends are
 * not counted.
 */
class CpuMeter {
  private readonly seen = new Map<string, { first: number; last: number }>();
  private samples = 0;

  constructor(private readonly workers: InstanceProcess[]) {}

  async sample(): Promise<void> {
    const { rows } = await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    const pids = [...this.workers.map((w) => `node:${w.pid}`), ...rows.map((r: { pid: number }) => `postgres:${r.pid}`)];
    for (const key of pids) {
      const seconds = cpuOf(Number(key.split(':')[1]));
      if (seconds === null) continue;
      const entry = this.seen.get(key);
      if (entry) entry.last = seconds;
      else this.seen.set(key, { first: this.samples === 0 ? seconds : 0, last: seconds });
    }
    this.samples++;
  }

  private total(kind: string): number {
    let n = 0;
    for (const [key, { first, last }] of this.seen) if (key.startsWith(kind)) n += last - first;
    return n;
  }

  get workerSeconds(): number {
    return this.total('node:');
  }

  get postgresSeconds(): number {
    return this.total('postgres:');
  }
}

function cpuOf(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in ticks of 1/100 s
  } catch {
    return null;
  }
}

const workDir = path.join(os.tmpdir(), 'c2r-bench');
fs.mkdirSync(workDir, { recursive: true });
const csv = path.join(workDir, `bench-${opts.rows}.csv`);
if (!fs.existsSync(`${csv}.done`)) {
  log(`Generating ${opts.rows.toLocaleString('en')} rows…`);
  await generateCsv(csv, opts.rows);
  fs.writeFileSync(`${csv}.done`, '');
}

const s3 = await TestS3Server.start('c2r-bench');
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const results: { workers: number; seconds: number; rowsPerSecond: number; workerCpuSeconds: number; postgresCpuSeconds: number; load: number[] }[] = [];

try {
  for (const count of opts.workers.split(',').map(Number)) {
    const prefix = `scaling-${count}-${Date.now()}`;
    const dataDir = fs.mkdtempSync(path.join(workDir, 'scaling-'));
    const env = { ...s3.env(prefix), DATABASE_URL: databaseUrl, DATA_DIR: dataDir };
    const instances: InstanceProcess[] = [];
    try {
      log(`${count} worker instance(s): queueing ${opts.files} files of ${opts.rows.toLocaleString('en')} rows…`);
      const api = await InstanceProcess.start({ name: 'api', ownDisk: false, env: { ...env, WORKERS: '0' } });
      instances.push(api);
      await api.ready();
      const ids: string[] = [];
      for (let i = 0; i < opts.files; i++) ids.push(await upload(api.url, csv, { outputFormat: opts.format }));

      const workers = await Promise.all(
        Array.from({ length: count }, (_, i) => InstanceProcess.start({ name: `worker-${i + 1}`, ownDisk: false, env: { ...env, WORKERS: '1' } })),
      );
      instances.push(...workers);
      const cpu = new CpuMeter(workers);
      await cpu.sample();
      for (;;) {
        const { rows } = await db.query(`SELECT count(*) FILTER (WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED'))::int AS done,
                                                 count(*) FILTER (WHERE status <> 'COMPLETED' AND status IN ('FAILED', 'CANCELLED'))::int AS bad
                                            FROM conversions WHERE id = ANY($1)`, [ids]);
        if (rows[0].bad > 0) throw new Error('A conversion of the queue did not complete');
        if (rows[0].done === ids.length) break;
        await new Promise((r) => setTimeout(r, 200));
        await cpu.sample();
      }
      await cpu.sample();
      const { rows } = await db.query(
        `SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 AS seconds FROM conversions WHERE id = ANY($1)`,
        [ids],
      );
      const seconds = rows[0].seconds as number;
      const result = {
        workers: count,
        seconds,
        rowsPerSecond: (opts.files * opts.rows) / seconds,
        workerCpuSeconds: cpu.workerSeconds,
        postgresCpuSeconds: cpu.postgresSeconds,
        load: os.loadavg(),
      };
      results.push(result);
      log(`  ${seconds.toFixed(1)} s, ${Math.round(result.rowsPerSecond).toLocaleString('en')} rows/s`);
      await db.query(`DELETE FROM conversions WHERE id = ANY($1)`, [ids]);
    } finally {
      for (const instance of instances) await instance.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
} finally {
  await db.end();
  await s3.close();
}

if (opts.json) console.log(JSON.stringify({ rows: opts.rows, files: opts.files, format: opts.format, nproc: os.availableParallelism(), results }, null, 2));
else {
  const base = results[0]?.rowsPerSecond ?? 1;
  console.log(`\n${opts.files} files × ${opts.rows.toLocaleString('en')} rows, ${opts.format} output, PostgreSQL + S3 (s3rver), ${os.availableParallelism()} cores`);
  console.log('workers | queue drained | rows/s | × one | CPU s: workers / PostgreSQL | load (1 min)');
  for (const r of results) {
    console.log(
      `${String(r.workers).padStart(7)} | ${r.seconds.toFixed(1).padStart(11)} s | ${Math.round(r.rowsPerSecond).toLocaleString('en').padStart(7)} | ${(r.rowsPerSecond / base).toFixed(2).padStart(5)} | ${r.workerCpuSeconds.toFixed(1)} / ${r.postgresCpuSeconds.toFixed(1)} | ${r.load[0].toFixed(1)}`,
    );
  }
}
