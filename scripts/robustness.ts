/**
 * Runs the hostile and unlucky cases of the robustness issue against a real server on this
 * machine and prints what happened: `npx tsx scripts/robustness.ts` (embedded database) or with
 * DATABASE_URL=postgres://… (PostgreSQL; also runs the database-fault cases through a TCP proxy
 * it controls, terminating only its own database's backends). As root, the disk-full case mounts
 * a small tmpfs as DATA_DIR (PostgreSQL only: the embedded database would live on it too).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import pg from 'pg';
import * as XLSX from 'xlsx';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { XlsxSource } from '../src/reading/xlsx-source';
import { startServer, type RunningServer } from '../src/server';

const ROOT = path.resolve(import.meta.dirname, '..');
const databaseUrl = process.env.DATABASE_URL || undefined;
const results: { name: string; ok: boolean; detail: string }[] = [];

function report(name: string, ok: boolean, detail: string): void {
  results.push({ name, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
}

async function start(env: Record<string, string>, dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-robust-'))): Promise<RunningServer & { dataDir: string }> {
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  const server = await startServer(config, createLogger(config.logLevel));
  await server.ready;
  return Object.assign(server, { dataDir });
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return res.json();
}

async function uploadMultipart(url: string, mutation: 'createConversion' | 'previewFile', name: string, content: Buffer | string, options: Record<string, unknown> | null = null): Promise<any> {
  const fields = mutation === 'createConversion' ? 'id status' : 'sheets { name } notes';
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: `mutation ($file: Upload!, $options: ConversionOptions) { ${mutation}(file: $file, options: $options) { ${fields} } }`, variables: { file: null, options } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([content]), name);
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
  return res.json();
}

async function convert(url: string, name: string, content: Buffer | string, options: Record<string, unknown> | null = null, timeoutMs = 300_000): Promise<any> {
  const created = await uploadMultipart(url, 'createConversion', name, content, options);
  const id = created.data?.createConversion?.id;
  if (!id) return { status: 'REFUSED', errors: created.errors };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await gql(url, `query ($id: ID!) { conversion(id: $id) { id status error errorCode totalRows processedRows notes } }`, { id }).catch(() => null);
    const c = r?.data?.conversion;
    if (c && ['COMPLETED', 'FAILED', 'CANCELLED'].includes(c.status)) return c;
    if (Date.now() > deadline) return { id, status: 'TIMEOUT', last: c };
    await new Promise((res) => setTimeout(res, 300));
  }
}

/** Polls /healthz every 100 ms while `work` runs; returns the slowest answer in ms. */
async function healthWhile<T>(url: string, work: () => Promise<T>): Promise<{ value: T; slowestMs: number; statuses: Set<number> }> {
  let slowest = 0;
  let running = true;
  const statuses = new Set<number>();
  const probe = (async () => {
    while (running) {
      const t = Date.now();
      const status = await new Promise<number>((resolve) => {
        const req = http.get(`${url}/healthz`, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.setTimeout(10_000, () => req.destroy());
        req.on('error', () => resolve(0));
      });
      statuses.add(status);
      slowest = Math.max(slowest, Date.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const value = await work();
    return { value, slowestMs: slowest, statuses };
  } finally {
    running = false;
    await probe;
  }
}

const SHEET1 = [['id', 'x', 'y'], ['a', 126.97, 37.57], ['b', 127.0, 37.5], ['c', 129.07, 35.17], ['d', 126.7, 37.45], ['e', 127.38, 36.35]];
const SHEET2 = [['id', 'x', 'y'], ['f', 126.53, 33.5], ['g', 128.6, 35.87], ['h', 126.85, 35.16]];

async function twoSheetWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('첫째').addRows(SHEET1);
  wb.addWorksheet('둘째').addRows(SHEET2);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function reorder(bytes: Buffer, order: (names: string[]) => string[]): Promise<Buffer> {
  const zip = await JSZip.loadAsync(bytes);
  const names = Object.keys(zip.files).filter((n) => !zip.files[n].dir);
  const out = new JSZip();
  for (const name of order(names)) out.file(name, await zip.file(name)!.async('uint8array'));
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) return yield items;
  for (let i = 0; i < items.length; i++) for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i], ...rest];
}

async function workbookVariants(url: string): Promise<void> {
  const base = await twoSheetWorkbook();
  const sheetjs = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(sheetjs, XLSX.utils.aoa_to_sheet(SHEET1), '첫째');
  XLSX.utils.book_append_sheet(sheetjs, XLSX.utils.aoa_to_sheet(SHEET2), '둘째');
  const excelOrder = ['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml', 'xl/styles.xml', 'xl/sharedStrings.xml'];
  const dupZip = await JSZip.loadAsync(base);
  dupZip.file('xl/workbook.xml', (await dupZip.file('xl/workbook.xml')!.async('string')).replace('name="첫째"', 'name="기록"').replace('name="둘째"', 'name="기록"'));
  const variants: [string, Buffer][] = [
    ['exceljs', base],
    ['exceljs, a worksheet last in the zip', await reorder(base, (n) => [...n.filter((x) => x !== 'xl/worksheets/sheet2.xml'), 'xl/worksheets/sheet2.xml'])],
    ['SheetJS', XLSX.write(sheetjs, { type: 'buffer', bookType: 'xlsx' }) as Buffer],
    ['SheetJS with shared strings', XLSX.write(sheetjs, { type: 'buffer', bookType: 'xlsx', bookSST: true }) as Buffer],
    ['LibreOffice 7.4', fs.readFileSync(path.join(ROOT, 'test/fixtures/libreoffice-two-sheets.xlsx'))],
    ["Excel's part order", await reorder(base, (n) => [...excelOrder.filter((x) => n.includes(x)), ...n.filter((x) => !excelOrder.includes(x))])],
    ['two sheets with the same name', await dupZip.generateAsync({ type: 'nodebuffer' })],
  ];
  for (const [name, bytes] of variants) {
    let ok = true;
    const statuses: string[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await convert(url, `${name}.xlsx`, bytes);
      statuses.push(c.status);
      if (c.status !== 'COMPLETED' || c.processedRows !== 8) ok = false;
    }
    report(`workbook: ${name}`, ok, `30 conversions: ${countBy(statuses)}, 8 of 8 rows each: ${ok}`);
  }
  const key = ['xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/styles.xml', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml'];
  const file = path.join(os.tmpdir(), `c2r-perm-${process.pid}.xlsx`);
  let orders = 0;
  let good = 0;
  for (const perm of permutations(key)) {
    fs.writeFileSync(file, await reorder(base, (n) => [...n.filter((x) => !key.includes(x)), ...perm]));
    let rows = 0;
    const names: string[] = [];
    for await (const sheet of new XlsxSource(file).sheets()) {
      names.push(sheet.name);
      for await (const _ of sheet.rows) rows++;
    }
    orders++;
    if (rows === 10 && names.join() === '첫째,둘째') good++;
  }
  fs.rmSync(file, { force: true });
  report('workbook: every order of the 6 main parts (reader)', good === orders, `${good} of ${orders} orders read both sheets, all 10 rows`);
}

function countBy(values: string[]): string {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k} ${n}`).join(', ');
}

async function blockingCases(url: string): Promise<void> {
  const numericColumns = ['id,' + Array.from({ length: 400 }, (_, c) => `c${c}`).join(',')]
    .concat(Array.from({ length: 200 }, (_, r) => `${r},` + Array.from({ length: 400 }, (_, c) => (c === 7 ? 126.9 + r / 1000 : c === 8 ? 37.5 + r / 1000 : (r * 7 + c) % 1000)).join(',')))
    .join('\n')
    .replace(/^id,c0,c1,c2,c3,c4,c5,c6,c7,c8/, 'id,a,b,c,d,e,f,g,h,i');
  let h = await healthWhile(url, () => convert(url, 'wide-400.csv', numericColumns));
  report('400 numeric columns, coordinates by value', h.value.status === 'COMPLETED' && h.slowestMs < 1000, `${h.value.status}, slowest /healthz ${h.slowestMs} ms`);
  const p400 = await healthWhile(url, () => uploadMultipart(url, 'previewFile', 'wide-400.csv', numericColumns));
  report('400 numeric columns, preview', !p400.value.errors && p400.slowestMs < 1000, `${p400.value.errors ? p400.value.errors[0].extensions?.code : 'ok'}, slowest /healthz ${p400.slowestMs} ms`);

  const wide = ['x,y,' + Array.from({ length: 16_384 }, (_, c) => `n${c}`).join(',')]
    .concat(Array.from({ length: 20 }, (_, r) => `${126.9 + r / 100},${37.5},` + Array.from({ length: 16_384 }, (_, c) => String((c * 13 + r) % 100)).join(',')))
    .join('\n');
  h = await healthWhile(url, () => convert(url, 'wide-16386.csv', wide));
  report('16,386 columns to XLSX', h.value.status === 'FAILED' && h.value.errorCode === 'TOO_MANY_COLUMNS' && h.slowestMs < 1000, `${h.value.status} ${h.value.errorCode}, slowest /healthz ${h.slowestMs} ms`);
  const pWide = await healthWhile(url, () => uploadMultipart(url, 'previewFile', 'wide-16386.csv', wide));
  report('16,386 columns, preview', pWide.slowestMs < 1000, `${pWide.value.errors ? pWide.value.errors[0].extensions?.code : 'ok'}, slowest /healthz ${pWide.slowestMs} ms`);

  // 32,000 digits: under the 32,767-character cell limit (CELL_TOO_LONG), so the number pattern meets them.
  const digits = '1'.repeat(32_000) + 'x';
  const longCells = `x,y\n${digits},${digits}\n${digits},37.5\n126.9,37.5\n`;
  h = await healthWhile(url, async () => [await uploadMultipart(url, 'previewFile', 'digits.csv', longCells), await convert(url, 'digits.csv', longCells)] as const);
  report('32,000-digit cells (preview and conversion)', h.value[1].status === 'COMPLETED' && h.slowestMs < 1000, `preview ${h.value[0].errors ? h.value[0].errors[0].extensions?.code : 'ok'}, conversion ${h.value[1].status}, slowest /healthz ${h.slowestMs} ms`);

  const zip = await JSZip.loadAsync(await twoSheetWorkbook());
  zip.file('xl/worksheets/sheet2.xml', (await zip.file('xl/worksheets/sheet2.xml')!.async('string')).replace('</sheetData>', '<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>far</t></is></c></row></sheetData>'));
  const sparse = await zip.generateAsync({ type: 'nodebuffer' });
  h = await healthWhile(url, () => convert(url, 'sparse.xlsx', sparse));
  report('row r="2000000000"', h.value.status === 'COMPLETED' && h.slowestMs < 1000, `${h.value.status}, ${h.value.processedRows} rows, slowest /healthz ${h.slowestMs} ms`);

  const aliases = `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: conversions(limit: 200) { id fileName notes }`).join(' ')} }`;
  h = await healthWhile(url, () => gql(url, aliases));
  report('3,000 aliases of conversions(limit: 200)', h.value.errors?.[0]?.extensions?.code === 'QUERY_TOO_COMPLEX' && h.slowestMs < 1000, `${h.value.errors?.[0]?.extensions?.code}: ${h.value.errors?.[0]?.message}; slowest /healthz ${h.slowestMs} ms`);
  const geocodes = `{ ${Array.from({ length: 2000 }, (_, i) => `g${i}: reverseGeocode(x: 126.97, y: 37.57) { address }`).join(' ')} }`;
  const g = await gql(url, geocodes);
  report('2,000 reverseGeocode aliases', g.errors?.[0]?.extensions?.code === 'QUERY_TOO_COMPLEX', `${g.errors?.[0]?.extensions?.code}`);
}

/**
 * The 16,386-column file read through to the end (MAX_COLUMNS raised past it, so it is not refused
 * at its first row): to CSV it converts, to XLSX it fails with TOO_MANY_COLUMNS (Excel's last
 * column); /healthz is probed throughout, also during a preview.
 */
async function wideThrough(): Promise<void> {
  const server = await start({ MAX_UPLOAD_MB: '20', MAX_COLUMNS: '20000', CHUNK_ROWS: '1000' });
  try {
    const url = server.url;
    const wide = ['x,y,' + Array.from({ length: 16_384 }, (_, c) => `n${c}`).join(',')]
      .concat(Array.from({ length: 200 }, (_, r) => `${126.9 + r / 1000},${37.5},` + Array.from({ length: 16_384 }, (_, c) => String((c * 13 + r) % 100)).join(',')))
      .join('\n');
    let h = await healthWhile(url, () => convert(url, 'wide-16386.csv', wide, { outputFormat: 'CSV' }));
    report('16,386 columns × 200 rows read through, to CSV', h.value.status === 'COMPLETED' && h.slowestMs < 1000, `${h.value.status} ${h.value.errorCode ?? ''} ${h.value.processedRows} rows, slowest /healthz ${h.slowestMs} ms (${(wide.length / 1024 / 1024).toFixed(1)} MB)`);
    h = await healthWhile(url, () => convert(url, 'wide-16386.csv', wide));
    report('16,386 columns × 200 rows read through, to XLSX', h.value.status === 'FAILED' && h.value.errorCode === 'TOO_MANY_COLUMNS' && h.slowestMs < 1000, `${h.value.status} ${h.value.errorCode}, slowest /healthz ${h.slowestMs} ms`);
    const p = await healthWhile(url, () => uploadMultipart(url, 'previewFile', 'wide-16386.csv', wide));
    report('16,386 columns × 200 rows read through, preview', !p.value.errors && p.slowestMs < 1000, `${p.value.errors ? p.value.errors[0].extensions?.code : 'ok'}, slowest /healthz ${p.slowestMs} ms`);
  } finally {
    await server.close();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
}

async function uploadOverLimit(url: string, dataDir: string, limitMb: number): Promise<void> {
  const boundary = 'c2rrobust';
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: 'mutation ($file: Upload!) { createConversion(file: $file) { id } }', variables: { file: null } })}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\nx,y\n`;
  const req = http.request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true' } });
  const t0 = Date.now();
  let answeredAt = 0;
  let body = '';
  const answer = new Promise<void>((resolve) => {
    req.on('response', (res) => {
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        answeredAt = Date.now();
        resolve();
      });
    });
    req.on('error', () => resolve());
  });
  req.write(head);
  let sent = 0;
  const total = limitMb * 7 * 1024 * 1024;
  while (!answeredAt && sent < total) {
    req.write(Buffer.alloc(64 * 1024, '1'));
    sent += 64 * 1024;
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.race([answer, new Promise((r) => setTimeout(r, 10_000))]);
  req.destroy();
  const left = fs.readdirSync(path.join(dataDir, 'uploads'));
  const code = body ? JSON.parse(body).errors?.[0]?.extensions?.code : 'no answer';
  report(`upload of 7x MAX_UPLOAD_MB in 64 KB pieces`, code === 'FILE_TOO_LARGE' && left.length === 0 && sent < total, `${code} after ${answeredAt ? answeredAt - t0 : '-'} ms and ${(sent / 1024 / 1024).toFixed(1)} MB sent; files left in uploads: ${left.length}`);
}

/**
 * This process's open descriptors, but for the embedded database's own files under
 * DATA_DIR/pglite (its relations, opened as queries first touch them: a PostgreSQL backend keeps
 * the same files open in its own process).
 */
function openDescriptors(dataDir: string): number {
  const database = path.join(dataDir, 'pglite') + path.sep;
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return !fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(database);
    } catch {
      return false; // closed meanwhile (the listing's own descriptor)
    }
  }).length;
}

function tempFiles(dataDir: string): string[] {
  const inData = ['uploads', 'outputs'].flatMap((d) => fs.readdirSync(path.join(dataDir, d)).filter((f) => f.endsWith('.part')));
  // Each conversion's and preview's temporary folder (DATA_DIR/tmp/<id>/), with what is in it.
  const work = fs.readdirSync(path.join(dataDir, 'tmp'), { recursive: true }).map((f) => `tmp/${String(f)}`);
  const inTmp = fs.readdirSync(os.tmpdir()).filter((f) => /^tmp-\d+-/.test(f) || f.startsWith('exceljs'));
  return [...inData, ...work, ...inTmp];
}

async function leaks(url: string, dataDir: string): Promise<void> {
  const bytes = await reorder(await twoSheetWorkbook(), (n) => [...n.filter((x) => x !== 'xl/sharedStrings.xml'), 'xl/sharedStrings.xml']);
  const fdsBefore = openDescriptors(dataDir);
  const tmpBefore = tempFiles(dataDir).length;
  for (let i = 0; i < 20; i++) {
    await convert(url, 'two.xlsx', bytes);
    await uploadMultipart(url, 'previewFile', 'two.xlsx', bytes);
  }
  // A cancelled conversion and a failing one.
  const created = await uploadMultipart(url, 'createConversion', 'two.xlsx', bytes);
  await gql(url, `mutation ($id: ID!) { cancelConversion(id: $id) { status } }`, { id: created.data.createConversion.id }).catch(() => null);
  await convert(url, 'bad.xlsx', Buffer.concat([bytes.subarray(0, 200), Buffer.alloc(200)]));
  await new Promise((r) => setTimeout(r, 1500));
  const fdsAfter = openDescriptors(dataDir);
  const tmpAfter = tempFiles(dataDir).length;
  const uploadsLeft = fs.readdirSync(path.join(dataDir, 'uploads')).length;
  report('20 conversions + 20 previews + a cancel + a broken file', tmpAfter <= tmpBefore && fdsAfter - fdsBefore <= 2, `temporary files ${tmpBefore} → ${tmpAfter}, open descriptors ${fdsBefore} → ${fdsAfter}, uploads left ${uploadsLeft}`);
}

/** A TCP proxy on loopback between the service and PostgreSQL, which can be cut and restored. */
function startProxy(target: URL): Promise<{ port: number; down(): void; up(): void; close(): void }> {
  const sockets = new Set<net.Socket>();
  let isDown = false;
  const server = net.createServer((client) => {
    if (isDown) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        down() {
          isDown = true;
          for (const s of sockets) s.destroy();
        },
        up() {
          isDown = false;
        },
        close() {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

function pointsCsv(rows: number): string {
  const lines = ['id,x,y'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${(126.8 + (i % 500) / 1000).toFixed(4)},${(37.45 + (i % 300) / 1000).toFixed(4)}`);
  return lines.join('\n');
}

/** Each id 0..n-1 in the CSV output exactly once (every row present, none twice). */
async function outputRowsOnce(url: string, id: string, n: number): Promise<string> {
  const res = await fetch(`${url}/downloads/${id}`);
  if (res.status !== 200) return `download ${res.status}`;
  const lines = (await res.text()).replace(/^\uFEFF/, '').split(/\r?\n/).filter(Boolean).slice(1);
  const seen = new Set(lines.map((l) => Number(l.split(',')[0])));
  const once = lines.length === n && seen.size === n && [...seen].every((v) => v >= 0 && v < n);
  return once ? 'every row once' : `${lines.length} lines, ${seen.size} distinct ids`;
}

async function databaseFaults(want: (name: string) => boolean): Promise<void> {
  const target = new URL(databaseUrl!);
  const proxy = await startProxy(target);
  const viaProxy = new URL(databaseUrl!);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  // Chunks small enough that one can get through between two terminations.
  const server = await start({ DATABASE_URL: viaProxy.toString(), CHUNK_ROWS: '100', LEASE_SECONDS: '60', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' });
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const dbName = decodeURIComponent(target.pathname.slice(1));
  try {
    // Backends of this database (and no other) terminated every 150 ms during a conversion.
    if (want('terminate')) {
    const csv = pointsCsv(5_000);
    let stop = false;
    let terminated = 0;
    const killer = (async () => {
      while (!stop) {
        const r = await admin.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]).catch(() => null);
        terminated += r?.rows[0].n ?? 0;
        await new Promise((res) => setTimeout(res, 150));
      }
    })();
    const created = await (async () => {
      for (;;) {
        const r = await uploadMultipart(server.url, 'createConversion', 'points.csv', csv, { outputFormat: 'CSV' }).catch(() => null);
        if (r?.data?.createConversion?.id) return r.data.createConversion.id as string;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    let c: any = null;
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      const r = await admin.query(`SELECT status, processed_rows, total_rows, error, attempts FROM conversions WHERE id = $1`, [created]);
      c = r.rows[0];
      if (['COMPLETED', 'FAILED'].includes(c.status)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    stop = true;
    await killer;
    const stored = await outputRowsOnce(server.url, created, 5_000);
    report('backends terminated every 150 ms', c.status === 'COMPLETED' && c.processed_rows === 5_000 && stored === 'every row once', `${c.status} (${c.error ?? 'no error'}), ${c.processed_rows} of 5,000 rows, ${stored} in the output, ${terminated} backends terminated, attempts ${c.attempts}`);

    }
    // The database unreachable for 30 s in the middle of a conversion.
    if (!want('outage')) return;
    const csv2 = pointsCsv(60_000);
    const id2 = (await uploadMultipart(server.url, 'createConversion', 'points2.csv', csv2, { outputFormat: 'CSV' })).data.createConversion.id as string;
    while ((await admin.query(`SELECT processed_rows FROM conversions WHERE id = $1`, [id2])).rows[0].processed_rows < 2000) await new Promise((r) => setTimeout(r, 50));
    proxy.down();
    // /healthz is liveness (200 while the process answers, the body names the database error);
    // /readyz is readiness (503 while the database is away).
    const said = { readyz: new Set<number>(), healthzDatabaseError: false };
    const h = await healthWhile(server.url, async () => {
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        said.readyz.add(await fetch(`${server.url}/readyz`).then((r) => r.status, () => 0));
        const body = (await fetch(`${server.url}/healthz`).then((r) => r.json(), () => ({}))) as { databaseError?: string };
        if (body.databaseError) said.healthzDatabaseError = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
    proxy.up();
    let c2: any = null;
    const deadline2 = Date.now() + 600_000;
    while (Date.now() < deadline2) {
      c2 = (await admin.query(`SELECT status, processed_rows, error, attempts FROM conversions WHERE id = $1`, [id2])).rows[0];
      if (['COMPLETED', 'FAILED'].includes(c2.status)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const stored2 = await outputRowsOnce(server.url, id2, 60_000);
    const health = await fetch(`${server.url}/healthz`);
    report(
      'database down for 30 s',
      c2.status === 'COMPLETED' && stored2 === 'every row once' && said.readyz.has(503) && said.healthzDatabaseError && h.slowestMs < 1000 && health.status === 200,
      `${c2.status} (${c2.error ?? 'no error'}), ${c2.processed_rows} of 60,000 rows, ${stored2}, attempts ${c2.attempts}; while down: /readyz ${[...said.readyz].join('/')}, /healthz ${[...h.statuses].join('/')} ${said.healthzDatabaseError ? 'naming the database error' : 'without a database error'} (slowest ${h.slowestMs} ms); after: /healthz ${health.status}; process alive`,
    );
  } finally {
    await server.close().catch(() => {});
    await admin.end();
    proxy.close();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
}

async function diskFull(): Promise<void> {
  if (process.getuid?.() !== 0) return report('disk full', false, 'skipped: needs root to mount a tmpfs');
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mountPoint]);
  let server: (RunningServer & { dataDir: string }) | null = null;
  try {
    server = await start({ CHUNK_ROWS: '20000' }, mountPoint);
    // An upload of about 5 MB whose XLSX output (with the address columns) is far more than the 7 MB left.
    const big = await convert(server.url, 'big.csv', pointsCsv(250_000), null, 600_000);
    const next = await convert(server.url, 'small.csv', pointsCsv(100));
    const left = fs.readdirSync(path.join(mountPoint, 'outputs')).filter((f) => f.endsWith('.part'));
    report('disk full while writing the output', big.status === 'FAILED' && big.errorCode === 'DISK_FULL' && next.status === 'COMPLETED' && left.length === 0, `${big.status} ${big.errorCode}: ${big.error}; next job ${next.status}; partial outputs left ${left.length}`);
  } finally {
    await server?.close().catch(() => {});
    execFileSync('umount', [mountPoint]);
    fs.rmSync(mountPoint, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`coord2region robustness, ${databaseUrl ? 'PostgreSQL' : 'embedded database'}, ${new Date().toISOString()}`);
  if (databaseUrl) {
    // Run it on a scratch database: jobs left by an earlier, interrupted run (their uploads gone
    // with its DATA_DIR) would otherwise be claimed first.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const [{ migrated }] = (await admin.query(`SELECT to_regclass('conversions') IS NOT NULL AS migrated`)).rows;
    if (migrated) await admin.query(`UPDATE conversions SET status = 'CANCELLED', phase = 'DONE', finished_at = now() WHERE status IN ('QUEUED', 'RUNNING')`);
    await admin.end();
  }
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const server = await start({ MAX_UPLOAD_MB: '3', CHUNK_ROWS: '1000' });
  try {
    if (want('workbooks')) await workbookVariants(server.url);
    if (want('blocking')) await blockingCases(server.url);
    if (want('upload')) await uploadOverLimit(server.url, server.dataDir, 3);
    if (want('leaks')) await leaks(server.url, server.dataDir);
  } finally {
    await server.close();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
  if (want('wide')) await wideThrough();
  if (databaseUrl && (want('terminate') || want('outage'))) await databaseFaults(want);
  if (databaseUrl && want('disk')) await diskFull();
  if (!databaseUrl) console.log('SKIP  database faults and disk full: they need DATABASE_URL (the embedded database runs in this process)');
  const failed = results.filter((r) => !r.ok);
  console.log(`\n${results.length - failed.length} of ${results.length} cases passed`);
  process.exitCode = failed.length ? 1 : 0;
}

await main();
