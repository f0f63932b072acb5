import assert from 'node:assert/strict';
import http from 'node:http';
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
  assert.equal(big.body.errors![0].message, '파일이 업로드 한도(51 KB)보다 큽니다. 파일을 나누어 올리거나 관리자에게 MAX_UPLOAD_MB를 늘려 달라고 하세요. · The file is larger than the 51 KB upload limit (MAX_UPLOAD_MB).');
  assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'uploads')), []);
  assert.equal(await countConversions(), before, 'no conversion was created');

  const preview = await uploadPreview(server.graphqlUrl, { name: 'big.tsv', content: fs.readFileSync(path.join(FIXTURES, 'inner-centroids-5179.tsv')) });
  assert.equal(preview.errors?.[0].extensions?.code, 'FILE_TOO_LARGE', JSON.stringify(preview));
  assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'uploads')), []);

  const small = await uploadConversion(server.graphqlUrl, { name: 'small.csv', content: 'x,y\n126.97,37.57\n' });
  assert.equal(small.body.data?.createConversion.status, 'QUEUED');
});

/**
 * A createConversion upload whose multipart head (operations, map, the file part's header and a
 * first line) is sent; the file's body is the caller's to write, and the request is never ended.
 */
function startUnfinishedUpload(): http.ClientRequest {
  const boundary = 'c2rboundary';
  const operations = JSON.stringify({ query: 'mutation ($file: Upload!) { createConversion(file: $file) { id } }', variables: { file: null } });
  const req = http.request(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true' },
  });
  req.write(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\nx,y\n`,
  );
  return req;
}

/**
 * A large body that arrives in many pieces (as over a real network): the parser stops feeding
 * the file at the limit, and the answer must come at once, not when the client gives up.
 */
test('an upload over the limit arriving in pieces is answered before its body ends, and its partial file removed', async () => {
  // The previous test's small upload stays queued (no worker runs here): only what this one leaves counts.
  const storedBefore = fs.readdirSync(path.join(server.dataDir, 'uploads'));
  const req = startUnfinishedUpload();
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    let body = '';
    let status = 0;
    req.on('response', (res) => {
      status = res.statusCode!;
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status, body }));
      res.on('error', () => resolve({ status, body }));
    });
    // The server closes the connection after answering; writing on meanwhile may fail here.
    req.on('error', (err) => (status ? resolve({ status, body }) : reject(err)));
  });
  // 16 KB pieces up to 20 times the limit; the body is never finished: only an early answer ends this.
  let sent = 0;
  let answered = false;
  answer.then(() => (answered = true), () => (answered = true));
  while (!answered && sent < 20 * 0.05 * 1024 * 1024) {
    req.write(Buffer.alloc(16 * 1024, '1'));
    sent += 16 * 1024;
    await new Promise((r) => setTimeout(r, 5));
  }
  const { body } = await answer;
  req.destroy();
  assert.equal(JSON.parse(body).errors?.[0].extensions?.code, 'FILE_TOO_LARGE', body);
  assert.ok(sent < 20 * 0.05 * 1024 * 1024, `answered after ${sent} bytes, before the body ended`);
  assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'uploads')), storedBefore);
});

/**
 * A client that sends part of a body over the limit and then waits (its connection stalled, or a
 * client that reads before it finishes): the answer comes after a short silence, not when the
 * server's request timeout (300 s) closes the connection.
 */
test('an upload over the limit that stops mid-body gets FILE_TOO_LARGE after a short silence', async () => {
  const req = startUnfinishedUpload();
  const answer = new Promise<string>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
  // Twice the limit, well under what the server reads on to deliver a refusal; then nothing more.
  req.write(Buffer.alloc(2 * 0.05 * 1024 * 1024, '1'));
  const started = Date.now();
  const body = await answer;
  req.destroy();
  assert.equal(JSON.parse(body).errors?.[0].extensions?.code, 'FILE_TOO_LARGE', body);
  assert.ok(Date.now() - started < 60_000, 'answered long before the request timeout');
});

test('over HTTP, 3,000 aliases are refused with QUERY_TOO_COMPLEX', async () => {
  const query = `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: conversions(limit: 200) { id }`).join(' ')} }`;
  const res = await fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  assert.ok(body.errors?.length);
  assert.ok(body.errors!.every((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX'), JSON.stringify(body));
});
