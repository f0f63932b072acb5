import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { uploadConversion, waitForConversion } from './helpers/graphql';
import { TestS3Server } from './helpers/s3-server';
import { onPostgres, startTestServer, type TestServer } from './helpers/server';

const CSV = 'id,lon,lat\n1,126.97,37.57\n2,,37.5\n3,129.3,35.0\n4,127.02,37.5\n';

/** One sample's value from Prometheus text, e.g. value(text, 'coord2region_queue_depth'). */
function value(metrics: string, series: string): number | null {
  const line = metrics.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : null;
}

/**
 * Operations with S3 storage (s3rver on a loopback port): conversions through the bucket,
 * GET /metrics, GET /healthz and GET /readyz, which fails while the storage (or the database)
 * is down and recovers when it is back, and STORAGE_UNAVAILABLE naming the bucket meanwhile.
 */
describe('operations: S3 storage, metrics, readiness', () => {
  let s3: TestS3Server;
  let server: TestServer;
  const prefix = `ops-${randomUUID().slice(0, 8)}`;

  before(async () => {
    s3 = await TestS3Server.start();
    server = await startTestServer({ ...s3.env(prefix) });
  });
  after(async () => {
    await server?.close();
    await s3?.close();
  });

  test('a conversion goes through the bucket; /metrics counts it', async () => {
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'ops.csv', content: CSV });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    const outputKey = `${prefix}/outputs/${done.id}.xlsx`;
    // The upload is removed right after COMPLETED is stored (so a crash before that can still
    // resume from it): under load the status can be seen first.
    let objects = await s3.list(`${prefix}/`);
    for (let waited = 0; objects.has(`${prefix}/uploads/${done.id}`) && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      objects = await s3.list(`${prefix}/`);
    }
    assert.ok(objects.get(outputKey)! > 0, `objects: ${[...objects.keys()].join(', ')}`);
    assert.equal(objects.has(`${prefix}/uploads/${done.id}`), false);

    // Streamed from the bucket through the service…
    const res = await fetch(done.downloadUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /filename\*=UTF-8''ops_%EC%A3%BC%EC%86%8C\.xlsx/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.length, objects.get(outputKey));
    // …or straight from it, with a presigned URL (DOWNLOAD_REDIRECT=presigned hands these out).
    const url = await server.store.storage.presignedUrl!(`outputs/${done.id}.xlsx`, { expiresSeconds: 60, fileName: 'ops_주소.xlsx', contentType: 'application/octet-stream' });
    const direct = await fetch(url);
    assert.equal(direct.status, 200);
    assert.deepEqual(Buffer.from(await direct.arrayBuffer()), bytes);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.ok((value(metrics, 'coord2region_rows_processed_total{result="OK"}') ?? 0) >= 2, metrics);
    assert.ok((value(metrics, 'coord2region_rows_processed_total{result="INVALID"}') ?? 0) >= 1);
    assert.ok((value(metrics, 'coord2region_upload_bytes_total') ?? 0) >= CSV.length);
    assert.ok((value(metrics, 'coord2region_phase_duration_seconds_count{phase="geocode"}') ?? 0) >= 1);
    assert.ok((value(metrics, 'coord2region_conversions{status="COMPLETED"}') ?? 0) >= 1);
    assert.notEqual(value(metrics, 'coord2region_queue_depth'), null);
    assert.notEqual(value(metrics, 'coord2region_queue_oldest_age_seconds'), null);
    assert.match(metrics, /^process_cpu_user_seconds_total /m);
    assert.match(metrics, /^nodejs_heap_size_used_bytes /m);
  });

  test('/readyz fails while the storage is down and recovers; uploads meanwhile get STORAGE_UNAVAILABLE naming the bucket', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200, await ready.text());

    await s3.stop();
    try {
      const down = await fetch(`${server.url}/readyz`);
      assert.equal(down.status, 503);
      const body = (await down.json()) as { checks: Record<string, string> };
      assert.equal(body.checks.database, 'ok');
      assert.match(body.checks.storage, new RegExp(`unavailable: Storage s3://c2r-test/${prefix} is unavailable`));
      // Liveness is not readiness: the process is fine.
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);

      const { body: refused } = await uploadConversion(server.graphqlUrl, { name: 'ops.csv', content: CSV });
      const error = refused.errors?.[0];
      assert.equal(error?.extensions?.code, 'STORAGE_UNAVAILABLE', JSON.stringify(refused));
      assert.match(error!.message, new RegExp(`s3://c2r-test/${prefix}`));
      assert.doesNotMatch(error!.message, new RegExp(server.dataDir));
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.ok((value(metrics, 'coord2region_storage_errors_total{operation="put"}') ?? 0) >= 1, metrics);
    } finally {
      await s3.start();
    }
    const back = await fetch(`${server.url}/readyz`);
    assert.equal(back.status, 200, await back.text());
  });

  test(
    '/readyz fails while the database is down and recovers',
    { skip: onPostgres ? false : 'the embedded database lives inside the process; cut off on PostgreSQL, through a proxy' },
    async () => {
      // The instance reaches PostgreSQL through a TCP proxy that the test can cut.
      const target = new URL(process.env.DATABASE_URL!);
      const sockets = new Set<net.Socket>();
      const proxy = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const port = (proxy.address() as net.AddressInfo).port;
      const viaProxy = new URL(process.env.DATABASE_URL!);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(port);
      const instance = await startTestServer({ ...s3.env(prefix), DATABASE_URL: viaProxy.toString(), WORKERS: '0', LOG_LEVEL: 'silent' });
      try {
        assert.equal((await fetch(`${instance.url}/readyz`)).status, 200);
        await new Promise<void>((resolve) => {
          proxy.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        const down = await fetch(`${instance.url}/readyz`);
        assert.equal(down.status, 503);
        const body = (await down.json()) as { checks: Record<string, string> };
        assert.match(body.checks.database, /^unavailable/);
        assert.equal(body.checks.storage, 'ok');
        assert.equal((await fetch(`${instance.url}/healthz`)).status, 200);

        await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
        let status = 0;
        for (let i = 0; i < 50 && status !== 200; i++) {
          status = (await fetch(`${instance.url}/readyz`)).status;
          if (status !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(status, 200, 'ready again once the database is back');
      } finally {
        await instance.close();
        proxy.close();
        for (const s of sockets) s.destroy();
      }
    },
  );
});
