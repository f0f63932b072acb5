import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SubscriptionClient } from 'subscriptions-transport-ws';
import WebSocket from 'ws';
import { CONVERSION_FIELDS, followProgress, uploadConversion } from './helpers/graphql';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';

let server: TestServer;
before(async () => {
  server = await startTestServer({}, { startWorker: false });
});
after(() => server?.close());

/** Every conversionProgress event over the legacy subscriptions-transport-ws protocol (GraphQL Playground's). */
function followProgressLegacy(wsUrl: string, id: string, onFirst: () => void): Promise<{ events: Record<string, any>[]; protocol: string }> {
  const client = new SubscriptionClient(wsUrl, { reconnect: false, connectionParams: { client: 'legacy-test' } }, WebSocket);
  const events: Record<string, any>[] = [];
  return new Promise((resolve, reject) => {
    client.onError((e) => reject(new Error(`legacy client error: ${JSON.stringify(e)}`)));
    client.request({ query: `subscription ($id: ID!) { conversionProgress(id: $id) { ${CONVERSION_FIELDS} } }`, variables: { id } }).subscribe({
      next: (msg) => {
        if (msg.errors?.length) return reject(new Error(JSON.stringify(msg.errors)));
        events.push(msg.data!.conversionProgress as Record<string, any>);
        if (events.length === 1) onFirst();
      },
      error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
      complete: () => {
        const protocol = (client as unknown as { client: WebSocket }).client.protocol;
        client.close();
        resolve({ events, protocol });
      },
    });
  });
}

test('a legacy subscriptions-transport-ws client and a graphql-ws client both follow a conversion to COMPLETED', async () => {
  const created = await uploadConversion(server.graphqlUrl, path.join(FIXTURES, 'inner-centroids-5179.tsv'), { srid: 5179 });
  const id = created.body.data!.createConversion.id as string;
  // The worker starts once both have received the first (QUEUED) state, so both see it run.
  let subscribed = 0;
  const started = () => {
    if (++subscribed === 2) server.worker.start();
  };
  const [legacy, modern] = await Promise.all([followProgressLegacy(server.wsUrl, id, started), followProgress(server.wsUrl, id, started)]);

  assert.equal(legacy.protocol, 'graphql-ws', 'the legacy client was served its own protocol');
  for (const events of [legacy.events, modern]) {
    assert.equal(events[0].status, 'QUEUED');
    const last = events.at(-1)!;
    assert.equal(last.status, 'COMPLETED');
    assert.equal(last.processedRows, 1229);
    assert.match(last.downloadUrl, new RegExp(`/downloads/${id}\\?expires=\\d+&signature=`));
  }
});

test('the legacy protocol runs queries too, with the same schema, and reports errors with their codes', async () => {
  const client = new SubscriptionClient(server.wsUrl, { reconnect: false }, WebSocket);
  const run = (query: string) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      client.request({ query }).subscribe({ next: resolve, error: reject });
    });
  try {
    const point = await run('{ reverseGeocode(x: 126.9707, y: 37.5735) { result address } }');
    assert.deepEqual(point.data.reverseGeocode, { result: 'OK', address: '서울특별시 종로구 사직동' });
    const missing = await run('{ conversion(id: "00000000-0000-0000-0000-000000000000") { id } }');
    assert.equal(missing.data.conversion, null);
    const bad = await run('{ reverseGeocode(x: 1, y: 2, srid: 999999) { result } }');
    assert.equal(bad.errors[0].extensions.code, 'UNKNOWN_SRID', JSON.stringify(bad));
  } finally {
    client.close();
  }
});

test('a WebSocket offering neither subprotocol is not served', async () => {
  const ws = new WebSocket(server.wsUrl);
  const closed = await new Promise<{ code: number; protocol: string }>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', (code) => resolve({ code, protocol: ws.protocol }));
  });
  assert.equal(closed.protocol, '');
  assert.notEqual(closed.code, 1000);
});
