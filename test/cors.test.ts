import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { waitForConversion } from './helpers/graphql';
import { startTestServer, type TestServer } from './helpers/server';

const FRONTEND = 'http://localhost:5173';
const OTHER = 'http://evil.example';

function post(url: string, origin: string, query: string) {
  return fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
}

/** Opens a WebSocket with an Origin header and runs one query over graphql-ws; rejects when the server refuses it. */
async function queryOverWebSocket(wsUrl: string, origin: string | undefined): Promise<Record<string, any>> {
  const Impl = class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, origin ? { origin } : {});
    }
  };
  const client = createClient({ url: wsUrl, webSocketImpl: Impl, retryAttempts: 0, lazy: true });
  try {
    return await new Promise((resolve, reject) => {
      client.subscribe({ query: '{ boundarySets { name } }' }, { next: (r) => resolve(r as Record<string, any>), error: reject, complete: () => {} });
    });
  } finally {
    await client.dispose();
  }
}

/** The status a raw WebSocket upgrade gets (101 when accepted). */
function upgradeStatus(wsUrl: string, origin: string | undefined, protocol: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, protocol, origin ? { origin } : {});
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

describe('CORS_ORIGINS=http://localhost:5173', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ CORS_ORIGINS: FRONTEND });
  });
  after(() => server?.close());

  test('the preflight of a query and of an upload is allowed for the listed origin', async () => {
    const res = await fetch(server.graphqlUrl, {
      method: 'OPTIONS',
      headers: {
        origin: FRONTEND,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,apollo-require-preflight,authorization,x-apollo-operation-name',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), FRONTEND);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(',');
    for (const h of ['content-type', 'apollo-require-preflight', 'authorization', 'x-apollo-operation-name']) assert.ok(allowed.includes(h), h);
    assert.match(res.headers.get('vary') ?? '', /Origin/);
  });

  test('query, upload and download from the listed origin carry its Access-Control-Allow-Origin', async () => {
    const query = await post(server.graphqlUrl, FRONTEND, '{ boundarySets { name } }');
    assert.equal(query.headers.get('access-control-allow-origin'), FRONTEND);
    assert.equal(((await query.json()) as any).data.boundarySets[0].name, 'kostat');

    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation ($file: Upload!) { createConversion(file: $file) { id } }', variables: { file: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob(['경도,위도\n126.9707,37.5735\n']), '차량 기록.csv');
    const upload = await fetch(server.graphqlUrl, { method: 'POST', headers: { origin: FRONTEND, 'x-apollo-operation-name': 'Upload' }, body: form });
    assert.equal(upload.headers.get('access-control-allow-origin'), FRONTEND);
    const id = ((await upload.json()) as any).data.createConversion.id as string;
    const done = await waitForConversion(server.graphqlUrl, id);
    assert.equal(done.status, 'COMPLETED', done.error);

    const download = await fetch(done.downloadUrl, { headers: { origin: FRONTEND } });
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('access-control-allow-origin'), FRONTEND);
    assert.match(download.headers.get('access-control-expose-headers') ?? '', /Content-Disposition/i);
    assert.match(download.headers.get('content-disposition') ?? '', /filename\*=UTF-8''%EC%B0%A8%EB%9F%89%20%EA%B8%B0%EB%A1%9D_%EC%A3%BC%EC%86%8C\.xlsx/);
    assert.ok((await download.arrayBuffer()).byteLength > 0);
  });

  test('another origin gets no Access-Control-Allow-Origin and its WebSocket is refused', async () => {
    const preflight = await fetch(server.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin: OTHER, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const query = await post(server.graphqlUrl, OTHER, '{ boundarySets { name } }');
    assert.equal(query.headers.get('access-control-allow-origin'), null);
    await query.body?.cancel();

    assert.equal(await upgradeStatus(server.wsUrl, OTHER, 'graphql-transport-ws'), 403);
    assert.equal(await upgradeStatus(server.wsUrl, OTHER, 'graphql-ws'), 403, 'the legacy protocol is guarded the same way');
    await assert.rejects(queryOverWebSocket(server.wsUrl, OTHER));
  });

  test('WebSockets from the listed origin, from the service itself and from non-browser clients are served', async () => {
    assert.equal((await queryOverWebSocket(server.wsUrl, FRONTEND)).data.boundarySets[0].name, 'kostat');
    assert.equal((await queryOverWebSocket(server.wsUrl, server.url)).data.boundarySets[0].name, 'kostat');
    assert.equal((await queryOverWebSocket(server.wsUrl, undefined)).data.boundarySets[0].name, 'kostat');
    assert.equal(await upgradeStatus(server.wsUrl, FRONTEND, 'graphql-ws'), 101);
  });
});

describe('without CORS_ORIGINS: same origin only', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, { startWorker: false });
  });
  after(() => server?.close());

  test('no CORS headers for any origin; a WebSocket is served only from the same origin or without an Origin', async () => {
    const query = await post(server.graphqlUrl, FRONTEND, '{ boundarySets { name } }');
    assert.equal(query.headers.get('access-control-allow-origin'), null);
    await query.body?.cancel();
    assert.equal(await upgradeStatus(server.wsUrl, FRONTEND, 'graphql-transport-ws'), 403);
    assert.equal(await upgradeStatus(server.wsUrl, FRONTEND, 'graphql-ws'), 403);
    assert.equal(await upgradeStatus(server.wsUrl, server.url, 'graphql-transport-ws'), 101);
    // The same host reached by another scheme (a TLS-terminating proxy in front) is the same site.
    assert.equal(await upgradeStatus(server.wsUrl, server.url.replace('http:', 'https:'), 'graphql-transport-ws'), 101);
    assert.equal(await upgradeStatus(server.wsUrl, undefined, 'graphql-transport-ws'), 101);
  });
});
