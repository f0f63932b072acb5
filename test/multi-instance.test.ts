import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { followProgress, uploadConversion } from './helpers/graphql';
import { FIXTURES, onPostgres, startTestServer, type TestServer } from './helpers/server';

/**
 * Two processes' worth of service on one PostgreSQL: the file is uploaded to an API-only
 * instance and converted by another instance's worker; progress reaches the subscriber on the
 * first through LISTEN/NOTIFY. (PGlite is a single-process database, so this runs on PostgreSQL.)
 */
describe('several instances on one PostgreSQL', { skip: onPostgres ? false : 'needs DATABASE_URL (PGlite serves one process)' }, () => {
  let api: TestServer;
  let worker: TestServer;

  before(async () => {
    api = await startTestServer({ WORKERS: '0' });
    // Instances share the database and DATA_DIR (in production: a shared volume).
    worker = await startTestServer({ CHUNK_ROWS: '200', PROGRESS_INTERVAL_MS: '0', DATA_DIR: api.dataDir }, { startWorker: false });
  });
  after(async () => {
    await worker?.close();
    await api?.close();
  });

  test('an upload to one instance is converted by another, with progress pushed across', async () => {
    const { body } = await uploadConversion(api.graphqlUrl, path.join(FIXTURES, 'inner-centroids-5179.tsv'), { srid: 5179 });
    const id = body.data!.createConversion.id as string;

    const events = await followProgress(api.wsUrl, id, () => worker.worker.start());
    const last = events.at(-1)!;
    assert.equal(last.status, 'COMPLETED', last.error);
    assert.equal(last.processedRows, 1229);
    assert.ok(events.length >= 3, `got ${events.length} events`);
    assert.ok(events.some((e) => e.status === 'RUNNING' && e.processedRows > 0 && e.processedRows < 1229));
    const download = await fetch(last.downloadUrl);
    assert.equal(download.status, 200);
  });
});
