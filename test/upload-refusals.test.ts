import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server';

let server: TestServer;
before(async () => {
  server = await startTestServer({ MAX_UPLOAD_MB: '4' }, { startWorker: false });
});
after(() => server?.close());

const MB = 1024 * 1024;
const TRIES = 5;

/** A CSV of about `bytes` bytes, coordinates in every row. */
function csvOf(bytes: number): Buffer {
  const row = '126.9707,37.5735,0123456789abcdef0123456789abcdef\n';
  return Buffer.from('x,y,memo\n' + row.repeat(Math.ceil(bytes / row.length)));
}

function uploadForm(content: Buffer, query = 'mutation ($file: Upload!, $options: ConversionOptions) { createConversion(file: $file, options: $options) { id status } }', options: unknown = null) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { file: null, options } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([content]), 'big.csv');
  return form;
}

/** Sends with Node's fetch (undici) and reads the JSON answer; a broken connection (EPIPE) fails the test. */
async function send(form: FormData, headers: Record<string, string> = {}) {
  const res = await fetch(server.graphqlUrl, { method: 'POST', headers, body: form });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

test(`an 8 MB upload without the preflight header gets the explanatory 400 as JSON, ${TRIES} times out of ${TRIES}`, async () => {
  const big = csvOf(8 * MB);
  for (let i = 0; i < TRIES; i++) {
    const { status, body } = await send(uploadForm(big));
    assert.equal(status, 400, `try ${i + 1}`);
    assert.equal(body.errors?.[0].extensions?.code, 'BAD_REQUEST');
    assert.match(body.errors![0].message, /apollo-require-preflight: true/);
  }
  assert.deepEqual(fs.readdirSync(`${server.dataDir}/uploads`), []);
});

test(`every other refused upload of 8 MB reaches the client as JSON too, ${TRIES} times each`, async () => {
  const big = csvOf(8 * MB);
  for (let i = 0; i < TRIES; i++) {
    const tooLarge = await send(uploadForm(big), { 'apollo-require-preflight': 'true' });
    assert.equal(tooLarge.body.errors?.[0].extensions?.code, 'FILE_TOO_LARGE', `try ${i + 1}: ${JSON.stringify(tooLarge.body)}`);

    const badOption = await send(uploadForm(csvOf(3 * MB), undefined, { srid: 999999 }), { 'apollo-require-preflight': 'true' });
    assert.equal(badOption.body.errors?.[0].extensions?.code, 'UNKNOWN_SRID', `try ${i + 1}: ${JSON.stringify(badOption.body)}`);

    // An operation that fails validation never reads its file.
    const invalid = await send(uploadForm(big, 'mutation ($file: Upload!) { createConversion(file: $file) { noSuchField } }'), {
      'apollo-require-preflight': 'true',
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.errors?.[0].extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  }
  assert.deepEqual(fs.readdirSync(`${server.dataDir}/uploads`), []);
});

test('x-apollo-operation-name is accepted in place of apollo-require-preflight', async () => {
  const { status, body } = await send(uploadForm(csvOf(1000)), { 'x-apollo-operation-name': 'CreateConversion' });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.data.createConversion.status, 'QUEUED');
  // Not left for another test file's worker on a shared PostgreSQL.
  await server.services.conversions.cancel(body.data.createConversion.id);
});

test('a malformed part header (a control character in the file name) is BAD_REQUEST in Korean, and the server carries on', async () => {
  const boundary = 'c2rmalformed';
  const body =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n` +
    JSON.stringify({ query: 'mutation ($file: Upload!) { createConversion(file: $file) { id } }', variables: { file: null } }) +
    `\r\n--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a\u0001b\u001b[31m.csv"\r\nContent-Type: text/csv\r\n\r\nx,y\n126.9,37.5\n\r\n--${boundary}--\r\n`;
  for (let i = 0; i < 3; i++) {
    // busboy reported the bad header, then a second error when destroyed, which nobody listened to:
    // the process ended (this test file's with it).
    const res = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true' },
      body: Buffer.from(body, 'latin1'),
    });
    const answer = (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    // Where the parser fails after the operation was read, the file argument fails: a GraphQL error.
    assert.ok([200, 400].includes(res.status), String(res.status));
    assert.equal(answer.errors?.[0].extensions?.code, 'BAD_REQUEST', JSON.stringify(answer));
    assert.match(answer.errors![0].message, /^업로드/);
    assert.doesNotMatch(answer.errors![0].message, /Malformed|Unexpected end/);
  }
  const { status, body: ok } = await send(uploadForm(csvOf(1000)), { 'x-apollo-operation-name': 'CreateConversion' });
  assert.equal(status, 200, JSON.stringify(ok));
  await server.services.conversions.cancel(ok.data.createConversion.id);
});
