import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { uploadConversion, uploadPreview } from './helpers/graphql';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';

let server: TestServer;
before(async () => {
  server = await startTestServer({ MAX_UPLOAD_MB: '0.05', LOG_LEVEL: 'error' }, { startWorker: false });
});
after(() => server?.close());

/** An upload over MAX_UPLOAD_MB is refused with a code, leaves no file behind, and the server goes on. */
test('a file over the upload limit is a FILE_TOO_LARGE error; nothing is stored', async () => {
  const countConversions = async () => (await server.db.dataSource.query(`SELECT count(*)::int AS n FROM conversions`))[0].n as number;
  const before = await countConversions();
  const big = await uploadConversion(server.graphqlUrl, path.join(FIXTURES, 'inner-centroids-5179.tsv'), { srid: 5179 });
  assert.equal(big.body.errors?.[0].extensions?.code, 'FILE_TOO_LARGE', JSON.stringify(big.body));
  assert.equal(big.body.errors![0].message, 'The file is larger than the 51 KB upload limit (MAX_UPLOAD_MB).');
  assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'uploads')), []);
  assert.equal(await countConversions(), before, 'no conversion was created');

  const preview = await uploadPreview(server.graphqlUrl, { name: 'big.tsv', content: fs.readFileSync(path.join(FIXTURES, 'inner-centroids-5179.tsv')) });
  assert.equal(preview.errors?.[0].extensions?.code, 'FILE_TOO_LARGE', JSON.stringify(preview));
  assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'uploads')), []);

  const small = await uploadConversion(server.graphqlUrl, { name: 'small.csv', content: 'x,y\n126.97,37.57\n' });
  assert.equal(small.body.data?.createConversion.status, 'QUEUED');
});
