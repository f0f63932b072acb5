import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = fs.existsSync(CHROMIUM);
const KEY = 'page-key-0000000000000000001';

/** The page against a server with API keys: it asks for a key, keeps it, and converts with it (HTTP and WebSocket). */
describe('web page with API keys', { skip: haveBrowser ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer({ API_KEYS: `page:${KEY}` });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-page-'));
  });
  after(async () => {
    await server?.db.dataSource.query(`DELETE FROM conversions WHERE owner = 'page'`).catch(() => {});
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('asks for the key on 401, keeps it in the browser, and converts with it', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForSelector('#keyBox', { state: 'visible' });
      assert.equal(await page.locator('#boundarySet option').count(), 0, 'nothing loads without the key');
      await page.fill('#apiKey', KEY);
      await page.click('#saveKey');
      await page.waitForSelector('#boundarySet option', { state: 'attached' });
      assert.equal(await page.isVisible('#keyBox'), false);

      // Kept across a reload.
      await page.reload();
      await page.waitForSelector('#boundarySet option', { state: 'attached' });
      assert.equal(await page.isVisible('#keyBox'), false);

      const csv = path.join(dir, '차량.csv');
      fs.writeFileSync(csv, 'x,y\n126.9707,37.5735\n127.0276,37.4979\n');
      await page.setInputFiles('#file', csv);
      await page.click('#submit');
      await page.waitForSelector('#jobDownload a', { timeout: 60_000 });
      assert.equal(await page.textContent('#jobStatus'), '완료');
      const href = await page.getAttribute('#jobDownload a', 'href');
      assert.match(href!, /\?expires=\d+&signature=/);
      assert.equal((await fetch(href!)).status, 200, 'the signed link opens without a key');
    } finally {
      await browser.close();
    }
  });
});
