import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { parseApiKeys } from '../src/auth/api-keys';
import { protectedModeProblem } from '../src/auth/protected-mode';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startServer } from '../src/server';
import { bearer, gqlAs, subscribeAs, uploadAs, waitAs } from './helpers/keyed-client';
import { freshDataDir, startTestServer, type TestServer } from './helpers/server';

const ALICE = 'alice-key-0000000000000001';
const BOB = 'bob-key-00000000000000000002';
const ROOT = 'root-key-0000000000000000003';

/** Three points on land (서울 종로구, 서울 강남구, 부산) and a name column. */
function pointsCsv(rows = 3, extraColumns = 0): { name: string; content: string } {
  const base = [
    [126.9769, 37.5759],
    [127.0276, 37.4979],
    [129.0756, 35.1796],
  ];
  const extra = Array.from({ length: extraColumns }, (_, i) => `c${i}`);
  const lines = [['x', 'y', 'name', ...extra].join(',')];
  for (let i = 0; i < rows; i++) {
    const [x, y] = base[i % base.length];
    lines.push([x, y, `차량${i}`, ...extra.map(() => 'v')].join(','));
  }
  return { name: '차량.csv', content: `${lines.join('\n')}\n` };
}

describe('API keys, owners, signed links, retention, limits', () => {
  let server: TestServer;
  let keysFile: string;

  const chunksOf = async (id: string) =>
    Number((await server.db.dataSource.query(`SELECT count(*)::int AS n FROM conversion_chunks WHERE conversion_id = $1`, [id]))[0].n);
  // The local storage keeps an object under DATA_DIR/<key>: the row's keys as files on this disk.
  const rowOf = async (id: string) => {
    const row = (await server.db.dataSource.query(`SELECT * FROM conversions WHERE id = $1`, [id]))[0];
    if (row) {
      row.upload_path = row.upload_key && path.join(server.dataDir, row.upload_key);
      row.output_path = row.output_key && path.join(server.dataDir, row.output_key);
    }
    return row;
  };
  const convert = async (key: string, file: { name: string; content: Buffer | string } = pointsCsv()) => {
    const { body } = await uploadAs(server.graphqlUrl, key, file);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!.createConversion as Record<string, any>;
  };

  before(async () => {
    // The admin key comes from a file, with a comment and newlines, as a deployment would keep it.
    keysFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-keys-')), 'keys');
    fs.writeFileSync(keysFile, `# operators\nroot:${ROOT}:admin\n`);
    server = await startTestServer(
      {
        API_KEYS: `alice:${ALICE},bob:${BOB}`,
        API_KEYS_FILE: keysFile,
        RETENTION_HOURS: '0.5',
        MAX_ACTIVE_CONVERSIONS: '2',
        MAX_ROWS: '50',
        MAX_COLUMNS: '6',
        MAX_SHEETS: '2',
        MAX_JSON_KB: '4',
      },
      { startWorker: false },
    );
    // A shared PostgreSQL may hold conversions of these key names from an interrupted run.
    await server.db.dataSource.query(`DELETE FROM conversions WHERE owner IN ('alice', 'bob', 'root')`);
  });
  after(async () => {
    await server?.db.dataSource.query(`DELETE FROM conversions WHERE owner IN ('alice', 'bob', 'root')`).catch(() => {});
    await server?.close();
    if (keysFile) fs.rmSync(path.dirname(keysFile), { recursive: true, force: true });
  });

  test('without a key, or with a wrong one, every operation is refused: 401 UNAUTHENTICATED', async () => {
    for (const key of [null, 'not-a-configured-key-000000']) {
      const query = await gqlAs(server.graphqlUrl, key, `{ boundarySets { name } }`);
      assert.equal(query.status, 401);
      assert.equal(query.body.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
      assert.match(query.body.errors![0].message, /Authorization: Bearer|not valid/);
      const upload = await uploadAs(server.graphqlUrl, key, pointsCsv());
      assert.equal(upload.status, 401);
      assert.equal(upload.body.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    }
    const unsignedDownload = await fetch(`${server.url}/downloads/00000000-0000-0000-0000-000000000000`);
    assert.equal(unsignedDownload.status, 401);
    // With a key the same requests work, and the page and healthz stay open.
    assert.equal((await gqlAs(server.graphqlUrl, ALICE, `{ boundarySets { name } }`)).status, 200);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/`)).status, 200);
  });

  test('MAX_ACTIVE_CONVERSIONS: a key with that many queued gets TOO_MANY_CONVERSIONS; others are not held back; cancelled and deleted ones leave no files', async () => {
    const first = await convert(ALICE);
    const second = await convert(ALICE);
    const third = await uploadAs(server.graphqlUrl, ALICE, pointsCsv());
    assert.equal(third.body.errors?.[0].extensions?.code, 'TOO_MANY_CONVERSIONS');
    assert.match(third.body.errors![0].message, /MAX_ACTIVE_CONVERSIONS/);
    const bobs = await convert(BOB);

    // Deleting a queued one frees its place at once and removes its upload.
    const firstRow = await rowOf(first.id);
    assert.ok(fs.existsSync(firstRow.upload_path));
    const deleted = await gqlAs(server.graphqlUrl, ALICE, `mutation ($id: ID!) { deleteConversion(id: $id) { id status downloadUrl } }`, { id: first.id });
    assert.equal(deleted.body.data?.deleteConversion.status, 'EXPIRED', JSON.stringify(deleted.body));
    assert.equal(fs.existsSync(firstRow.upload_path), false);
    const again = await convert(ALICE);

    for (const [key, id] of [[ALICE, second.id], [ALICE, again.id], [BOB, bobs.id]]) {
      const row = await rowOf(id);
      const cancelled = await gqlAs(server.graphqlUrl, key, `mutation ($id: ID!) { cancelConversion(id: $id) { status } }`, { id });
      assert.equal(cancelled.body.data?.cancelConversion.status, 'CANCELLED');
      assert.equal(fs.existsSync(row.upload_path), false, 'a cancelled conversion keeps no upload');
    }
    server.worker.start();
  });

  test("another key gets NOT_FOUND for a conversion on every operation and download; the owner and an admin key see it", async () => {
    const created = await convert(ALICE);
    const done = await waitAs(server.graphqlUrl, ALICE, created.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    const id = created.id;

    // (Here rather than with the HTTP checks: at start the embedded database's warm-up can hold the
    // event loop past graphql-ws's 3 s wait for connection_init.)
    for (const authorization of [null, 'Bearer not-a-configured-key-000000']) {
      const ws = await subscribeAs(server.wsUrl, authorization, id);
      assert.equal(ws.kind, 'closed');
      assert.equal((ws as { code: number }).code, 4401, 'a WebSocket without a valid key is closed with 4401');
    }

    const asBob = await gqlAs(server.graphqlUrl, BOB, `query ($id: ID!) { conversion(id: $id) { id } conversions(limit: 100) { id } }`, { id });
    assert.equal(asBob.body.data?.conversion, null);
    assert.deepEqual(asBob.body.errors?.map((e) => [e.extensions?.code, (e as { path?: string[] }).path]), [['NOT_FOUND', ['conversion']]], JSON.stringify(asBob.body.errors));
    assert.ok(!asBob.body.data!.conversions.some((c: any) => c.id === id), 'conversions does not list it');
    // The same answer, word for word, as for an id nobody has.
    const unknown = await gqlAs(server.graphqlUrl, BOB, `query ($id: ID!) { conversion(id: $id) { id } }`, { id: '00000000-0000-0000-0000-000000000000' });
    assert.equal(unknown.body.errors?.[0].extensions?.code, 'NOT_FOUND');
    assert.equal(unknown.body.errors![0].message.replaceAll('00000000-0000-0000-0000-000000000000', id), asBob.body.errors![0].message);
    // Fields under conversion (regionCounts, problemRows) are reached only through it.
    const nested = await gqlAs(server.graphqlUrl, BOB, `query ($id: ID!) { conversion(id: $id) { regionCounts(level: 1) { name } problemRows { rowNumber } } }`, { id });
    assert.equal(nested.body.errors?.[0].extensions?.code, 'NOT_FOUND');
    assert.equal(nested.body.data?.conversion, null);
    for (const mutation of ['cancelConversion', 'deleteConversion']) {
      const res = await gqlAs(server.graphqlUrl, BOB, `mutation ($id: ID!) { ${mutation}(id: $id) { id } }`, { id });
      assert.equal(res.body.errors?.[0].extensions?.code, 'NOT_FOUND', mutation);
    }
    const bobFollows = await subscribeAs(server.wsUrl, `Bearer ${BOB}`, id);
    assert.deepEqual(bobFollows, { kind: 'errors', codes: ['NOT_FOUND'] });
    const bobDownload = await fetch(`${server.url}/downloads/${id}`, { headers: bearer(BOB) });
    assert.equal(bobDownload.status, 404);
    assert.equal(((await bobDownload.json()) as { code: string }).code, 'NOT_FOUND');
    // Bob's attempts changed nothing: still COMPLETED, its output still there.
    assert.equal((await rowOf(id)).status, 'COMPLETED');

    const asAlice = await gqlAs(server.graphqlUrl, ALICE, `query ($id: ID!) { conversion(id: $id) { id } conversions(limit: 100) { id } }`, { id });
    assert.equal(asAlice.body.data?.conversion.id, id);
    assert.ok(asAlice.body.data!.conversions.some((c: any) => c.id === id));
    assert.ok(!asAlice.body.data!.conversions.some((c: any) => c.status === 'QUEUED' && c.id !== id));
    const aliceFollows = await subscribeAs(server.wsUrl, `Bearer ${ALICE}`, id);
    assert.equal(aliceFollows.kind, 'events');
    assert.equal((aliceFollows as { events: any[] }).events.at(-1).status, 'COMPLETED');
    assert.equal((await fetch(`${server.url}/downloads/${id}`, { headers: bearer(ALICE) })).status, 200);

    const asRoot = await gqlAs(server.graphqlUrl, ROOT, `query ($id: ID!) { conversion(id: $id) { id } conversions(limit: 100) { id } }`, { id });
    assert.equal(asRoot.body.data?.conversion.id, id);
    assert.ok(asRoot.body.data!.conversions.some((c: any) => c.id === id));
    const rootFollows = await subscribeAs(server.wsUrl, ROOT, id); // a bare key in connectionParams works too
    assert.equal(rootFollows.kind, 'events');
  });

  test('downloadUrl is signed and expires: it opens without a header; tampered → 403, expired → 410', async () => {
    const created = await convert(ALICE);
    const done = await waitAs(server.graphqlUrl, ALICE, created.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    const link = new URL(done.downloadUrl);
    const expires = Number(link.searchParams.get('expires'));
    const now = Date.now() / 1000;
    assert.ok(expires > now + 3500 && expires <= now + 3601, `expires in DOWNLOAD_URL_TTL_SECONDS (3600): ${expires - now}`);

    const ok = await fetch(done.downloadUrl);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-disposition') ?? '', /attachment/);
    assert.ok((await ok.arrayBuffer()).byteLength > 0);

    const signature = link.searchParams.get('signature')!;
    const tampered = new URL(link);
    tampered.searchParams.set('signature', `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`);
    const later = new URL(link);
    later.searchParams.set('expires', String(expires + 86_400));
    const otherId = new URL(link.href.replace(created.id, '00000000-0000-0000-0000-000000000000'));
    for (const bad of [tampered, later, otherId]) {
      const res = await fetch(bad);
      assert.equal(res.status, 403, bad.href);
      assert.match(((await res.json()) as { error: string }).error, /altered|변조/);
    }

    const expiredLink = server.services.downloadLinks.url(server.url, created.id, Date.now() - 3601 * 1000);
    const expired = await fetch(expiredLink);
    assert.equal(expired.status, 410);
    assert.match(((await expired.json()) as { error: string }).error, /expired|만료/);
  });

  test('RETENTION_HOURS: the sweep expires completed conversions past it, deleting upload, output and stored results; newer ones stay', async () => {
    const old = await convert(ALICE);
    const oldDone = await waitAs(server.graphqlUrl, ALICE, old.id);
    const fresh = await convert(ALICE);
    const freshDone = await waitAs(server.graphqlUrl, ALICE, fresh.id);
    assert.equal(oldDone.status, 'COMPLETED', oldDone.error);
    assert.equal(freshDone.status, 'COMPLETED', freshDone.error);
    const before = await rowOf(old.id);
    assert.ok(fs.existsSync(before.output_path));
    // As if it had finished 31 minutes ago (RETENTION_HOURS=0.5); a stray chunk stands in for stored results.
    await server.db.dataSource.query(`UPDATE conversions SET finished_at = now() - interval '31 minutes' WHERE id = $1`, [old.id]);
    await server.db.dataSource.query(
      `INSERT INTO conversion_chunks (conversion_id, first_row, row_count, boundary_ids, results, note_offsets, note_distances, note_reasons)
       VALUES ($1, 0, 1, '{1}', '{0}', '{}', '{}', '{}')`,
      [old.id],
    );
    fs.writeFileSync(before.upload_path, 'left behind');

    const expiredIds = await server.retention.sweep();
    assert.ok(expiredIds.includes(old.id));
    assert.ok(!expiredIds.includes(fresh.id));

    const after = await gqlAs(server.graphqlUrl, ALICE, `query ($a: ID!, $b: ID!) { a: conversion(id: $a) { status downloadUrl } b: conversion(id: $b) { status } }`, {
      a: old.id,
      b: fresh.id,
    });
    assert.deepEqual(after.body.data, { a: { status: 'EXPIRED', downloadUrl: null }, b: { status: 'COMPLETED' } });
    assert.equal(fs.existsSync(before.output_path), false, 'output deleted');
    assert.equal(fs.existsSync(before.upload_path), false, 'upload deleted');
    assert.equal(await chunksOf(old.id), 0, 'stored results deleted');
    assert.equal((await rowOf(old.id)).output_path, null);
    const gone = await fetch(oldDone.downloadUrl);
    assert.equal(gone.status, 410);
    assert.equal(((await gone.json()) as { code: string }).code, 'EXPIRED');
  });

  test('deleteConversion removes everything at once for the owner; the link then answers 410', async () => {
    const created = await convert(ALICE);
    const done = await waitAs(server.graphqlUrl, ALICE, created.id);
    assert.equal(done.status, 'COMPLETED', done.error);
    const row = await rowOf(created.id);
    assert.ok(fs.existsSync(row.output_path));
    const res = await gqlAs(server.graphqlUrl, ALICE, `mutation ($id: ID!) { deleteConversion(id: $id) { id status downloadUrl } }`, { id: created.id });
    assert.deepEqual(res.body.data?.deleteConversion, { id: created.id, status: 'EXPIRED', downloadUrl: null });
    assert.equal(fs.existsSync(row.output_path), false);
    assert.equal(fs.existsSync(row.upload_path), false);
    assert.equal(await chunksOf(created.id), 0);
    assert.equal((await fetch(done.downloadUrl)).status, 410);
    // Again: the same answer, nothing to do.
    const twice = await gqlAs(server.graphqlUrl, ALICE, `mutation ($id: ID!) { deleteConversion(id: $id) { status } }`, { id: created.id });
    assert.equal(twice.body.data?.deleteConversion.status, 'EXPIRED');
  });

  test('MAX_ROWS and MAX_COLUMNS fail the conversion with a message that names the limit, leaving no files; previewFile answers with the code', async () => {
    for (const [file, pattern] of [
      [pointsCsv(60), /MAX_ROWS/],
      [pointsCsv(3, 5), /Row 1 of sheet .* has 8 columns.*MAX_COLUMNS/],
    ] as const) {
      const created = await convert(ALICE, file);
      const done = await waitAs(server.graphqlUrl, ALICE, created.id);
      assert.equal(done.status, 'FAILED');
      assert.match(done.error, pattern);
      // The worker deletes the upload right after it reports FAILED.
      const upload = (await rowOf(created.id)).upload_path;
      for (let i = 0; i < 100 && fs.existsSync(upload); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(fs.existsSync(upload), false, 'a failed conversion keeps no upload');
      assert.equal(await chunksOf(created.id), 0);
    }
    const preview = await uploadAs(server.graphqlUrl, ALICE, pointsCsv(3, 5), null, 'previewFile');
    assert.equal(preview.body.errors?.[0].extensions?.code, 'TOO_MANY_COLUMNS');

    const wb = new ExcelJS.Workbook();
    for (const name of ['a', 'b', 'c']) wb.addWorksheet(name).addRows([['x', 'y'], [126.9769, 37.5759]]);
    const sheets = await uploadAs(server.graphqlUrl, ALICE, { name: 'many.xlsx', content: Buffer.from(await wb.xlsx.writeBuffer()) }, null, 'previewFile');
    assert.equal(sheets.body.errors?.[0].extensions?.code, 'TOO_MANY_SHEETS');
    assert.match(sheets.body.errors![0].message, /MAX_SHEETS/);
  });

  test("MAX_ROWS on XLSX: a sheet whose <dimension> claims more rows is refused before its rows are read; one that claims fewer is still counted", async () => {
    // A workbook with `rows` data rows whose sheet part declares `ref` as its dimension.
    const workbook = async (rows: number, ref: string) => {
      const wb = new ExcelJS.Workbook();
      const sheet = wb.addWorksheet('차량');
      sheet.addRow(['x', 'y', 'name']);
      for (let i = 0; i < rows; i++) sheet.addRow([126.9769, 37.5759, `차량${i}`]);
      const zip = await JSZip.loadAsync(await wb.xlsx.writeBuffer());
      const part = 'xl/worksheets/sheet1.xml';
      const xml = await zip.file(part)!.async('string');
      assert.match(xml, /<dimension ref="[^"]*"\/>/);
      zip.file(part, xml.replace(/<dimension ref="[^"]*"\/>/, `<dimension ref="${ref}"/>`));
      return { name: '차량.xlsx', content: await zip.generateAsync({ type: 'nodebuffer' }) };
    };
    const claimsMillions = await convert(ALICE, await workbook(3, 'A1:C9000000'));
    const refused = await waitAs(server.graphqlUrl, ALICE, claimsMillions.id);
    assert.equal(refused.status, 'FAILED');
    assert.equal((await rowOf(claimsMillions.id)).error_code, 'TOO_MANY_ROWS');
    assert.match(refused.error, /8,999,999 data rows.*MAX_ROWS/);
    assert.equal(refused.totalRows, null, 'refused before the analysis counted any row');

    const liesLow = await convert(ALICE, await workbook(60, 'A1:C3'));
    const counted = await waitAs(server.graphqlUrl, ALICE, liesLow.id);
    assert.equal(counted.status, 'FAILED');
    assert.equal((await rowOf(liesLow.id)).error_code, 'TOO_MANY_ROWS');
    assert.match(counted.error, /The file has 60 data rows, more than 50 \(MAX_ROWS\)/);

    const honest = await convert(ALICE, await workbook(40, 'A1:C41'));
    assert.equal((await waitAs(server.graphqlUrl, ALICE, honest.id)).status, 'COMPLETED');
  });

  test('conversions(limit) at most 100, JSON bodies at most MAX_JSON_KB, no batched operations', async () => {
    const tooMany = await gqlAs(server.graphqlUrl, ALICE, `{ conversions(limit: 101) { id } }`);
    assert.equal(tooMany.body.errors?.[0].extensions?.code, 'LIMIT_TOO_LARGE');
    assert.equal((await gqlAs(server.graphqlUrl, ALICE, `{ conversions(limit: 100) { id } }`)).body.errors, undefined);

    const big = await gqlAs(server.graphqlUrl, ALICE, `{ boundarySets { name } }`, { padding: 'x'.repeat(5000) });
    assert.equal(big.status, 413);
    assert.equal(big.body.errors?.[0].extensions?.code, 'REQUEST_TOO_LARGE');

    const batch = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(ALICE) },
      body: JSON.stringify([{ query: '{ boundarySets { name } }' }, { query: '{ boundarySets { name } }' }]),
    });
    assert.equal(batch.status, 400);
    assert.equal(((await batch.json()) as any).errors[0].extensions.code, 'BATCH_NOT_SUPPORTED');
  });
});

describe('protected mode and key configuration', () => {
  test('HOST defaults to 127.0.0.1; listening on 0.0.0.0 without keys refuses to start and says how to set keys', async () => {
    assert.equal(loadConfig({}).host, '127.0.0.1');
    const dataDir = await freshDataDir();
    try {
      const config = loadConfig({ ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '0.0.0.0', API_KEYS: '', API_KEYS_FILE: '', AUTH: 'on', LOG_LEVEL: 'silent' });
      await assert.rejects(startServer(config, createLogger('silent')), (err: Error) => {
        assert.match(err.message, /API_KEYS="name:key"/);
        assert.match(err.message, /AUTH=off/);
        return true;
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    assert.match(protectedModeProblem('::', false, false) ?? '', /API_KEYS/);
    assert.match(protectedModeProblem('192.168.0.10', false, false) ?? '', /API_KEYS/);
    assert.equal(protectedModeProblem('0.0.0.0', true, false), null, 'keys set');
    assert.equal(protectedModeProblem('0.0.0.0', false, true), null, 'AUTH=off accepts the risk');
    for (const host of ['127.0.0.1', 'localhost', '::1']) assert.equal(protectedModeProblem(host, false, false), null, host);
  });

  test('API_KEYS: name:key and name:key:admin, commas or newlines; bad entries fail loudly without showing a key', () => {
    assert.deepEqual(parseApiKeys(`a:${ALICE}, b:${BOB}:admin\n\n# comment\n`), [
      { name: 'a', key: ALICE, admin: false },
      { name: 'b', key: BOB, admin: true },
    ]);
    assert.deepEqual(parseApiKeys(''), []);
    for (const bad of ['a:short', `a:${ALICE}:root`, `a:${ALICE},a:${BOB}`, `a:${ALICE},b:${ALICE}`, `nokey`, `bad name:${ALICE}`]) {
      assert.throws(
        () => parseApiKeys(bad),
        (err: Error) => !err.message.includes(ALICE) && /API_KEYS entry/.test(err.message),
        bad,
      );
    }
    assert.throws(() => loadConfig({ API_KEYS: 'a:short' }), /Invalid configuration: API_KEYS/);
  });
});
