import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = fs.existsSync(CHROMIUM);

/** The web page at / as a person uses it, in headless Chromium: upload, watch progress, download, look up a point. */
describe('web page', { skip: haveBrowser ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test('converts an uploaded file and looks up a point', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForSelector('#boundarySet option', { state: 'attached' });
      assert.equal(await page.inputValue('#boundarySet'), 'kostat');

      await page.setInputFiles('#file', path.join(FIXTURES, 'inner-centroids-5179.tsv'));
      await page.fill('#srid', '5179');
      // Preview first: the detected columns and the first rows with their addresses.
      await page.click('#preview');
      await page.waitForSelector('#previewResult table');
      const preview = (await page.textContent('#previewResult')) ?? '';
      assert.match(preview, /EPSG:5179/);
      assert.match(preview, /X x \(H\) · Y y \(I\)/);
      assert.match(preview, /서울특별시 종로구 사직동/);
      await page.click('#submit');
      await page.waitForSelector('#jobDownload a', { timeout: 60_000 });
      assert.equal(await page.textContent('#jobStatus'), '완료');
      assert.match((await page.textContent('#jobCounts')) ?? '', /^1,229 \/ 1,229 행/);
      const href = await page.getAttribute('#jobDownload a', 'href');
      const res = await fetch(href!);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /spreadsheetml/);

      await page.fill('#lx', '126.9707');
      await page.fill('#ly', '37.5735');
      await page.click('#lookup button');
      await page.waitForFunction("document.getElementById('lookupResult').textContent.length > 0");
      assert.match((await page.textContent('#lookupResult')) ?? '', /서울특별시 종로구 사직동/);
      await page.waitForFunction("/inner-centroids/.test(document.querySelector('#recent tbody').textContent)");
      assert.match((await page.textContent('#recent tbody')) ?? '', /inner-centroids-5179\.tsv/);
    } finally {
      await browser.close();
    }
  });
});
