import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CatalogCache } from '../src/boundaries/catalog';
import { packChunk } from '../src/conversion/chunk-store';
import { JobLostError } from '../src/conversion/errors';
import { JobQueue } from '../src/conversion/job-queue';
import { ConversionRunner } from '../src/conversion/runner';
import { Geocoder, onePoint } from '../src/geocode/geocoder';
import { InProcessBus } from '../src/pubsub/in-process-bus';
import { ThrottledPublisher } from '../src/pubsub/throttled-publisher';
import { gql, uploadConversion, waitForConversion } from './helpers/graphql';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';
import { download, readWorkbook } from './helpers/xlsx';

const CENTROIDS = path.join(FIXTURES, 'inner-centroids-5179.tsv');

/**
 * The queue's promises: a job whose worker dies mid-way is taken over when its lease expires and
 * resumes after its last committed chunk, every row getting exactly one result; concurrent
 * claims never hand out the same job; a running job can be cancelled.
 */
describe('worker queue: claim, lease, resume, cancel', () => {
  let server: TestServer;
  let queue: JobQueue;

  before(async () => {
    server = await startTestServer({ CHUNK_ROWS: '200', LEASE_SECONDS: '30' }, { startWorker: false });
    queue = new JobQueue(server.db.dataSource, 30, new ThrottledPublisher(new InProcessBus()));
  });
  after(() => server?.close());

  const sql = (text: string, params: unknown[] = []) => server.db.dataSource.query(text, params);

  test('a job whose worker died resumes after its last committed chunk, each row once', async () => {
    const { body } = await uploadConversion(server.graphqlUrl, CENTROIDS, { srid: 5179 });
    const id = body.data!.createConversion.id as string;

    // A first worker, built from the same parts as the server's, "dies" after two chunks: it stops
    // between chunks and never releases its lease, as a killed process would.
    const job = await queue.claim('doomed-worker');
    assert.equal(job?.id, id);
    const catalogs = new CatalogCache(server.db.dataSource);
    const runner = new ConversionRunner({
      dataSource: server.db.dataSource,
      queue,
      store: server.store,
      catalogs,
      sets: server.services.boundarySets,
      geocoder: new Geocoder(server.db.dataSource, catalogs, server.grids),
      chunkRows: 200,
      defaultMaxDistanceMeters: 200,
    });
    const crash = new AbortController();
    const watcher = setInterval(async () => {
      const [row] = await sql(`SELECT processed_rows FROM conversions WHERE id = $1`, [id]);
      if (row?.processed_rows >= 400) crash.abort(new Error('simulated crash'));
    }, 5);
    const doomed = { jobId: id, workerId: 'doomed-worker' };
    await assert.rejects(runner.run(job!, doomed, crash.signal), /simulated crash/);
    clearInterval(watcher);

    const [dead] = await sql(`SELECT status, processed_rows, attempts FROM conversions WHERE id = $1`, [id]);
    assert.equal(dead.status, 'RUNNING');
    assert.ok(dead.processed_rows >= 400 && dead.processed_rows < 1229, `died after ${dead.processed_rows} rows`);
    const [{ n: before }] = await sql(`SELECT coalesce(sum(row_count), 0)::int AS n FROM conversion_chunks WHERE conversion_id = $1`, [id]);
    assert.equal(before, dead.processed_rows, 'results and counters committed together');

    // While the lease holds, no one else may take the job.
    assert.equal(await queue.claim('impatient-worker'), null);
    // The lease runs out (the process is gone); the server's worker takes over.
    await sql(`UPDATE conversions SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    server.worker.start();
    const done = await waitForConversion(server.graphqlUrl, id);
    assert.equal(done.status, 'COMPLETED', done.error);
    assert.equal(done.processedRows, 1229);
    assert.equal(done.matchedRows + done.unmatchedRows + done.invalidRows, 1229, 'no row counted twice');
    const [final] = await sql(`SELECT attempts FROM conversions WHERE id = $1`, [id]);
    assert.equal(final.attempts, 2);
    // The doomed worker no longer owns the job: its writes are refused.
    await assert.rejects(queue.setPhase(doomed, 'GEOCODING'), JobLostError);
    assert.equal(await queue.renew(doomed), false);

    const [sheet] = await readWorkbook((await download(done.downloadUrl)).bytes);
    const input = fs.readFileSync(CENTROIDS, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]);
    assert.deepEqual(sheet.rows.slice(1).map((r) => String(r[0])), input, 'every row once, in input order');
    const result = sheet.rows[0].indexOf('결과');
    assert.ok(sheet.rows.slice(1).every((r) => ['정상', '근접', '해당없음'].includes(String(r[result]))));
    await server.worker.stop();
  });

  test('a restarted service resumes at once the jobs of its own dead process, without waiting for their leases', async () => {
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'left.csv', content: 'x,y\n126.97,37.57\n129.3,35.0\n' });
    const id = body.data!.createConversion.id as string;
    // A process of this machine that has exited, as a killed server would have.
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    const deadWorker = `${os.hostname()}:${child.pid}:deadbeef`;
    assert.equal((await queue.claim(deadWorker))?.id, id);
    // Its lease runs for 30 s more; a live worker of another machine would keep its job.
    const [alive] = await sql(`SELECT lease_expires_at > now() + interval '20 seconds' AS long FROM conversions WHERE id = $1`, [id]);
    assert.equal(alive.long, true);
    // Starting the worker hands it back (the process is gone) well before the lease would end.
    server.worker.start();
    const done = await waitForConversion(server.graphqlUrl, id, 20_000);
    assert.equal(done.status, 'COMPLETED', done.error);
    assert.equal(done.processedRows, 2);
    // Jobs of workers whose process is alive, or of other machines, are left alone.
    await server.worker.stop();
    const { body: other } = await uploadConversion(server.graphqlUrl, { name: 'other.csv', content: 'x,y\n126.97,37.57\n' });
    const otherId = other.data!.createConversion.id as string;
    await queue.claim(`elsewhere:${child.pid}:cafe`);
    assert.deepEqual(await queue.releaseDeadLocalLeases(os.hostname(), () => false), []);
    await sql(`UPDATE conversions SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [otherId]);
    server.worker.start();
    assert.equal((await waitForConversion(server.graphqlUrl, otherId)).status, 'COMPLETED');
    await server.worker.stop();
  });

  test('a chunk is stored only with the counters of a job its worker still owns', async () => {
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'owned.csv', content: 'x,y\n126.97,37.57\n' });
    const id = body.data!.createConversion.id as string;
    assert.equal((await queue.claim('owner'))?.id, id);
    const set = await server.services.boundarySets.resolve();
    const geocoder = new Geocoder(server.db.dataSource, new CatalogCache(server.db.dataSource), server.grids);
    const chunk = packChunk(0, await geocoder.geocode({ setId: set.id, srid: 4326, maxDistanceMeters: 200 }, onePoint(126.97, 37.57)));
    const counters = { processedRows: 1, matchedRows: 1, nearestRows: 0, unmatchedRows: 0, invalidRows: 0 };
    const stored = async () => {
      const [chunks] = await sql(`SELECT count(*)::int AS n FROM conversion_chunks WHERE conversion_id = $1`, [id]);
      const [job] = await sql(`SELECT processed_rows FROM conversions WHERE id = $1`, [id]);
      return { chunks: chunks.n, processed: job.processed_rows };
    };
    await assert.rejects(queue.commitChunk({ jobId: id, workerId: 'someone-else' }, chunk, counters), JobLostError);
    assert.deepEqual(await stored(), { chunks: 0, processed: 0 }, 'neither the results nor the counters');
    await queue.commitChunk({ jobId: id, workerId: 'owner' }, chunk, counters);
    assert.deepEqual(await stored(), { chunks: 1, processed: 1 }, 'both');
    await gql(server.graphqlUrl, `mutation ($id: ID!) { cancelConversion(id: $id) { status } }`, { id });
  });

  test('a job that killed its process waits behind the others, and after two is FAILED with WORKER_CRASHED', async () => {
    const upload = async (name: string) => (await uploadConversion(server.graphqlUrl, { name, content: 'x,y\n126.97,37.57\n' })).body.data!.createConversion.id as string;
    const poison = await upload('poison.csv');
    const first = await queue.claim('dying-1');
    assert.equal(first?.id, poison);
    const other = await upload('other.csv');
    // The process holding the poison job dies: its lease runs out with the job still in a working phase.
    await sql(`UPDATE conversions SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [poison]);
    const next = await queue.claim('restarted-1');
    assert.equal(next?.id, other, 'the other job first, although the poison one is older');
    const again = await queue.claim('restarted-1');
    assert.equal(again?.id, poison, 'then the crashed one, once more');
    await sql(`UPDATE conversions SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [poison]);
    assert.equal(await queue.claim('restarted-2'), null, 'killed two processes: not claimed a third time');
    const [row] = await sql(`SELECT status, error_code, error FROM conversions WHERE id = $1`, [poison]);
    assert.equal(row.status, 'FAILED');
    assert.equal(row.error_code, 'WORKER_CRASHED');
    assert.match(row.error, /두 번 멈췄습니다/);
    await queue.fail({ jobId: other, workerId: 'restarted-1' }, 'test done', 'TEST');
  });

  test('concurrent claims never return the same job', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await uploadConversion(server.graphqlUrl, { name: `p${i}.csv`, content: 'x,y\n126.97,37.57\n' });
      ids.push(body.data!.createConversion.id);
    }
    const claimed = await Promise.all(['a', 'b', 'c', 'd'].map((w) => queue.claim(`claimer-${w}`)));
    const got = claimed.filter((c) => c !== null).map((c) => c!.id);
    assert.equal(got.length, 3);
    assert.deepEqual([...got].sort(), [...ids].sort());
    // Hand them back so the server's worker can finish them.
    await sql(`UPDATE conversions SET lease_expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [ids]);
    server.worker.start();
    for (const id of ids) assert.equal((await waitForConversion(server.graphqlUrl, id)).status, 'COMPLETED');
    await server.worker.stop();
  });

  test('cancelling a running conversion stops it and leaves no output', async () => {
    const rows = ['id,lon,lat'];
    for (let i = 0; i < 20000; i++) rows.push(`${i},${(126.8 + (i % 100) * 0.004).toFixed(5)},${(37.45 + Math.floor(i / 100) * 0.003).toFixed(5)}`);
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'many.csv', content: rows.join('\n') });
    const id = body.data!.createConversion.id as string;
    server.worker.start();
    for (;;) {
      const [row] = await sql(`SELECT status, processed_rows FROM conversions WHERE id = $1`, [id]);
      if (row.processed_rows > 0 || row.status !== 'QUEUED' && row.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const cancelled = await gql(server.graphqlUrl, `mutation ($id: ID!) { cancelConversion(id: $id) { status } }`, { id });
    assert.equal(cancelled.data!.cancelConversion.status, 'CANCELLED');
    // The worker notices at its next chunk, drops the partial output and the stored results.
    for (let i = 0; i < 200; i++) {
      const [{ n }] = await sql(`SELECT coalesce(sum(row_count), 0)::int AS n FROM conversion_chunks WHERE conversion_id = $1`, [id]);
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const [{ n }] = await sql(`SELECT coalesce(sum(row_count), 0)::int AS n FROM conversion_chunks WHERE conversion_id = $1`, [id]);
    assert.equal(n, 0);
    const [row] = await sql(`SELECT status, output_key FROM conversions WHERE id = $1`, [id]);
    assert.deepEqual(row, { status: 'CANCELLED', output_key: null });
    assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'outputs')).filter((f) => f.includes(id)), []);
    await server.worker.stop();
  });
});
