import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { gql } from './helpers/graphql';
import { startTestServer, type TestServer } from './helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = fs.existsSync(CHROMIUM);
/**
 * Functions run in the page get its text through this cast (no DOM types here). They are passed
 * as functions: a string would be eval, which the IDE's Content-Security-Policy forbids.
 */
type PageGlobal = { document: { body: { innerText: string } } };
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * The GraphQL IDE at GET /graphql, driven in headless Chromium: it loads nothing from any host but
 * the service, uploads a file as multipart with the preflight header and follows the conversion
 * over WebSocket.
 */
describe('GraphQL IDE', { skip: haveBrowser ? false : `no Chromium at ${CHROMIUM}` }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test('uploads a CSV, shows the conversion id and follows it to COMPLETED, all from the service', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
    const dir = fs.mkdtempSync(`${server.dataDir}/ide-`);
    const csv = `${dir}/좌표.csv`;
    fs.writeFileSync(csv, 'x,y,이름\n126.9707,37.5735,사직동\n129.0756,35.1796,부산\n');
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const urls: string[] = [];
      page.on('request', (r) => urls.push(r.url()));
      page.on('websocket', (ws) => urls.push(ws.url()));
      const frames: string[] = [];
      page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));

      await page.goto(`${server.url}/graphql`);
      await page.waitForSelector('.query-editor__inline-widget input[type=file]', { state: 'attached' });
      await page.setInputFiles('.query-editor__inline-widget input[type=file]', csv);
      const upload = page.waitForRequest((r) => r.url() === server.graphqlUrl && (r.headers()['content-type'] ?? '').startsWith('multipart/form-data'));
      await page.click('.query-editor__line-widget:has-text("CreateConversion")');
      assert.equal((await upload).headers()['apollo-require-preflight'], 'true');
      // The answer as the IDE shows it.
      const shown = await page.waitForFunction(() => (globalThis as unknown as PageGlobal).document.body.innerText.match(/"id": "([0-9a-f-]{36})"/)?.[1], undefined, { timeout: 60_000 });
      const id = (await shown.jsonValue()) as string;
      const stored = await gql<{ conversion: { fileName: string } }>(server.graphqlUrl, 'query ($id: ID!) { conversion(id: $id) { fileName } }', { id });
      assert.equal(stored.data?.conversion.fileName, '좌표.csv');

      // The example subscription with that id, over WebSocket, until the conversion ends.
      await page.click('.variables-editor--title');
      await page.click('.variables-editor-container .cm-content');
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(JSON.stringify({ id }));
      await page.click('.query-editor__line-widget:has-text("ConversionProgress")');
      await page.waitForFunction(() => (globalThis as unknown as PageGlobal).document.body.innerText.includes('COMPLETED'), undefined, { timeout: 60_000 });
      assert.ok(frames.some((f) => f.includes('"COMPLETED"') && f.includes(id)), 'the COMPLETED state came over the WebSocket');

      const hosts = new Set(urls.map((u) => new URL(u).host));
      assert.deepEqual([...hosts], [new URL(server.url).host], `requests went to ${[...hosts].join(', ')}`);
      assert.ok(urls.some((u) => u.startsWith('ws://')), 'the IDE used the WebSocket');
    } finally {
      await browser.close();
    }
  });

  test('the page is Altair served locally under a Content-Security-Policy that allows only the service', async () => {
    const res = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /AltairGraphQL\.init/);
    assert.doesNotMatch(html, /apollographql\.com|googleapis|jsdelivr|unpkg/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+/);
    // A client asking for JSON still gets GraphQL over GET.
    const get = await fetch(`${server.graphqlUrl}?query=${encodeURIComponent('{ boundarySets { name } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    assert.equal(((await get.json()) as any).data.boundarySets[0].name, 'kostat');
  });
});

describe('GRAPHQL_IDE=off', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ GRAPHQL_IDE: 'off' }, { startWorker: false });
  });
  after(() => server?.close());

  test('GET /graphql serves no IDE (and no Apollo landing page), POST still works', async () => {
    const res = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    const text = await res.text();
    assert.notEqual(res.status, 200);
    assert.doesNotMatch(text, /Altair|apollographql/);
    const asset = await fetch(`${server.graphqlUrl}/main.js`);
    assert.notEqual(asset.status, 200);
    await asset.body?.cancel();
    const post = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ boundarySets { name } }' }),
    });
    assert.equal(((await post.json()) as any).data.boundarySets[0].name, 'kostat');
  });
});
