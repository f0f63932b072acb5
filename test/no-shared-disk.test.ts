import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { parse } from 'csv-parse/sync';
import { gql, uploadConversion } from './helpers/graphql';
import { diskIsolationUnavailable, InstanceProcess } from './helpers/instance-process';
import { TestS3Server } from './helpers/s3-server';
import { onPostgres } from './helpers/server';

const ROWS = 200_000;
const CHUNK_ROWS = 10_000;

/** Why this file cannot run here, or false. */
function skipReason(): string | false {
  if (!onPostgres) return 'needs DATABASE_URL: instances that share no disk share one PostgreSQL (PGlite serves one process)';
  return diskIsolationUnavailable() ?? false;
}

/**
 * Instances that share nothing but PostgreSQL and an S3 bucket (s3rver on a loopback port),
 * each with a disk of its own: a private tmpfs at the same DATA_DIR path in its own mount
 * namespace, and its own hostname. An API-only instance (WORKERS=0) takes a 200,000-row upload;
 * a worker on another disk starts it and is killed with SIGKILL mid-way; a third instance takes
 * it over once the lease runs out and finishes it; the file downloaded through the first has
 * every input row once, in order; the objects are in the bucket and nothing stayed on any disk.
 */
describe('instances that share no disk, with S3 storage', { skip: skipReason() }, () => {
  let s3: TestS3Server;
  let db: pg.Client;
  let dataDir: string;
  let inputFile: string;
  const prefix = `no-shared-disk-${randomUUID().slice(0, 8)}`;
  const instances: InstanceProcess[] = [];
  let conversionId: string | null = null;

  const start = async (name: string, env: Record<string, string>) => {
    const instance = await InstanceProcess.start({
      name,
      ownDisk: true,
      env: {
        ...s3.env(prefix),
        DATABASE_URL: process.env.DATABASE_URL!,
        DATA_DIR: dataDir,
        LEASE_SECONDS: '5',
        CHUNK_ROWS: String(CHUNK_ROWS),
        PROGRESS_INTERVAL_MS: '0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        ...env,
      },
    });
    instances.push(instance);
    await instance.ready();
    return instance;
  };

  before(async () => {
    s3 = await TestS3Server.start();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-nodisk-'));
    // The same path for every instance; each mounts its own tmpfs over it.
    dataDir = path.join(work, 'data');
    fs.mkdirSync(dataDir);
    inputFile = path.join(work, 'points.csv');
    writeInput(inputFile, ROWS);
  });

  after(async () => {
    for (const instance of instances) await instance.stop().catch(() => {});
    if (conversionId) await db?.query(`DELETE FROM conversions WHERE id = $1`, [conversionId]).catch(() => {});
    await db?.end();
    await s3?.close();
    if (dataDir) fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  test('upload on an API-only instance, worker killed with SIGKILL mid-way, a third finishes, download through the first', async () => {
    const api = await start('c2r-api', { WORKERS: '0' });
    const { body } = await uploadConversion(api.url + '/graphql', { name: 'points.csv', content: fs.readFileSync(inputFile) }, { outputFormat: 'CSV' });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const id = (conversionId = body.data!.createConversion.id as string);
    assert.equal(body.data!.createConversion.status, 'QUEUED');
    const uploaded = await s3.list(`${prefix}/uploads/`);
    assert.equal(uploaded.get(`${prefix}/uploads/${id}`), fs.statSync(inputFile).size, 'the upload went to the bucket whole');

    // A worker on a disk of its own starts it; it is killed with SIGKILL after a few chunks.
    const doomed = await start('c2r-doomed', { WORKERS: '1' });
    let row: { status: string; processed_rows: number; worker_id: string | null } | undefined;
    for (;;) {
      [row] = (await db.query(`SELECT status, processed_rows, worker_id FROM conversions WHERE id = $1`, [id])).rows;
      if (row && row.processed_rows >= 3 * CHUNK_ROWS) break;
      assert.notEqual(row?.status, 'COMPLETED', 'the worker finished before it could be killed');
      await new Promise((r) => setTimeout(r, 20));
    }
    await doomed.kill();
    [row] = (await db.query(`SELECT status, processed_rows, worker_id FROM conversions WHERE id = $1`, [id])).rows;
    assert.equal(row!.status, 'RUNNING');
    assert.ok(row!.processed_rows > 0 && row!.processed_rows < ROWS, `killed after ${row!.processed_rows} rows`);
    assert.match(row!.worker_id ?? '', /^c2r-doomed:/);

    // A third instance, on another disk and another "machine", takes it over after the lease.
    const rescuer = await start('c2r-rescuer', { WORKERS: '1' });
    const done = await waitFinished(api.url, id);
    assert.equal(done.status, 'COMPLETED', done.error);
    assert.equal(done.processedRows, ROWS);
    const [final] = (await db.query(`SELECT attempts, worker_id FROM conversions WHERE id = $1`, [id])).rows;
    assert.equal(final.attempts, 2);
    assert.match(final.worker_id, /^c2r-rescuer:/);

    // Downloaded through the API-only instance, which never had the file on its disk.
    assert.ok(done.downloadUrl.startsWith(api.url), done.downloadUrl);
    const res = await fetch(done.downloadUrl);
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const records: string[][] = parse(bytes, { bom: true });
    const input: string[][] = parse(fs.readFileSync(inputFile));
    assert.deepEqual(records[0].slice(0, 4), input[0]);
    assert.equal(records.length, ROWS + 1, 'every row once');
    for (let i = 1; i <= ROWS; i++) {
      if (records[i][0] !== String(i) || records[i][1] !== input[i][1] || records[i][2] !== input[i][2]) {
        assert.fail(`row ${i} is ${JSON.stringify(records[i].slice(0, 3))}, expected ${JSON.stringify(input[i].slice(0, 3))}`);
      }
    }
    const results = new Set(records.slice(1).map((r) => r[records[0].indexOf('결과')]));
    assert.ok(results.has('정상'), 'rows were geocoded');

    // The objects are in the bucket: the output whole; the upload removed once done.
    const objects = await s3.list(`${prefix}/`);
    assert.equal(objects.get(`${prefix}/outputs/${id}.csv`), bytes.length);
    assert.equal(objects.has(`${prefix}/uploads/${id}`), false, 'the upload is removed once the output is stored');

    // Nothing stayed on any disk: not under DATA_DIR outside the namespaces, and no file on the
    // surviving instances' own disks (seen through /proc/<pid>/root, in their namespaces).
    assert.deepEqual(fs.readdirSync(dataDir), []);
    for (const instance of [api, rescuer]) {
      assert.deepEqual(filesUnder(`/proc/${instance.pid}/root${dataDir}`), [], `files left on ${instance.name}'s disk`);
    }

    // JSON logs: every line about the conversion carries its id.
    const about = rescuer.lines.filter((l) => l.includes(id)).map((l) => JSON.parse(l) as { conversionId?: string; msg: string });
    assert.ok(about.some((l) => /completed/.test(l.msg)), rescuer.lines.join('\n'));
    for (const line of about) assert.equal(line.conversionId, id, JSON.stringify(line));
  });
});

/** id,lon,lat,memo with points over South Korea's bounding box, seeded, so every run is the same. */
function writeInput(file: string, rows: number): void {
  let seed = 20240422;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ['id,lon,lat,memo'];
  for (let i = 1; i <= rows; i++) {
    lines.push(`${i},${(126.1 + random() * 3.3).toFixed(6)},${(34.4 + random() * 3.8).toFixed(6)},p${i}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

async function waitFinished(url: string, id: string): Promise<Record<string, any>> {
  const until = Date.now() + 300_000;
  for (;;) {
    const { data } = await gql(`${url}/graphql`, `query ($id: ID!) { conversion(id: $id) { status error processedRows downloadUrl } }`, { id });
    const c = data!.conversion;
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(c.status)) return c;
    if (Date.now() > until) throw new Error(`Conversion ${id} still ${c.status} after 5 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
