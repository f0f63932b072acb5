import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gql, uploadConversion, waitForConversion } from './helpers/graphql';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = fs.existsSync(CHROMIUM);
/** Where the screenshot is kept (a temporary folder unless SCREENSHOT_DIR names one). */
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? os.tmpdir();

/** 행정동 points in EPSG:5179 (the fixture), with a few far out at sea and a few unusable. */
function sampleCsv(): string {
  const [header, ...rows] = fs.readFileSync(path.join(FIXTURES, 'inner-centroids-5179.tsv'), 'utf8').trim().split(/\r?\n/).map((l) => l.split('\t'));
  const ix = header.indexOf('x');
  const iy = header.indexOf('y');
  const lines = ['번호,주소,x,y'];
  rows.forEach((r, k) => {
    if (k % 150 === 20) lines.push(`${k + 1},바다,${700000 + k * 10},${1700000 + k * 10}`);
    else if (k % 211 === 5) lines.push(`${k + 1},빈칸,,${r[iy]}`);
    else lines.push(`${k + 1},현장 ${k + 1},${r[ix]},${r[iy]}`);
  });
  return lines.join('\n') + '\n';
}

/**
 * The page of one conversion in headless Chromium: 완료, the tables, the map drawn by MapLibre
 * from the service's own tiles, and not one request to another host.
 */
describe('conversion page', { skip: haveBrowser ? false : `no Chromium at ${CHROMIUM}` }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ CHUNK_ROWS: '300' });
  });
  after(() => server?.close());

  test('/conversions/<id> shows 완료, the counts by 시도 and 시군구, the problem rows and a map, all from this service', async () => {
    const { body } = await uploadConversion(server.graphqlUrl, { name: '현장점검.csv', content: sampleCsv() }, { srid: 5179 });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id);
    assert.equal(done.status, 'COMPLETED', done.error);

    const { chromium } = await import('playwright-core');
    // SwiftShader gives headless Chromium the WebGL MapLibre needs, without a GPU.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
        '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1500 }, locale: 'ko-KR' });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const consoleErrors: string[] = [];
      page.on('pageerror', (e) => consoleErrors.push(String(e)));

      await page.goto(`${server.url}/conversions/${done.id}`);
      await page.waitForFunction("document.getElementById('status').textContent === '완료'");
      await page.waitForSelector('#sido tbody tr');
      await page.waitForSelector('body[data-map="loaded"]', { timeout: 60_000 });
      await page.waitForFunction('window.conversionMap && window.conversionMap.areTilesLoaded()', undefined, { timeout: 60_000 });
      const shot = path.join(SCREENSHOT_DIR, 'conversion-page.png');
      await page.screenshot({ path: shot, fullPage: true });

      // Counts by 시도 agree with the API, and the 시군구 table and problem rows are there.
      const api = (await gql(server.graphqlUrl, `query ($id: ID!) { conversion(id: $id) { regionCounts(level: 1) { name rows } problemRows(first: 1000) { rowNumber } } }`, { id: done.id })).data!.conversion;
      const sidoRows = await page.$$eval('#sido tbody tr', (trs) => trs.map((tr) => [tr.children[0].textContent, tr.children[1].textContent]));
      assert.deepEqual(sidoRows, api.regionCounts.map((r: any) => [r.name, r.rows.toLocaleString('ko-KR')]));
      const sigunguRows = (await page.$$('#sigungu tbody tr')).length;
      assert.ok(sigunguRows > 50, `${sigunguRows} 시군구 rows`);
      const problemNumbers = await page.$$eval('#problems tbody tr', (trs) => trs.map((tr) => Number(tr.children[0].textContent)));
      assert.deepEqual(problemNumbers, api.problemRows.map((r: any) => r.rowNumber));
      assert.ok(problemNumbers.length >= done.invalidRows + 1);

      // The map: a WebGL canvas with the boundary layers and the problem points, drawn.
      assert.ok(await page.$('#map canvas.maplibregl-canvas'));
      const rendered = await page.evaluate(() => {
        const map = (globalThis as any).conversionMap;
        return { sido: map.querySourceFeatures('boundaries', { sourceLayer: 'level1' }).length, points: map.querySourceFeatures('problems').length };
      });
      assert.ok(rendered.sido > 0, `${rendered.sido} 시도 features rendered`);
      assert.ok(rendered.points > 0, `${rendered.points} problem points`);

      // Mostly Korean: more Hangul than Latin letters in what the page says.
      const text = await page.evaluate(() => (globalThis as any).document.body.innerText as string);
      const hangul = (text.match(/[가-힣]/g) ?? []).length;
      const latin = (text.match(/[A-Za-z]/g) ?? []).length;
      assert.ok(hangul > 3 * latin, `${hangul} Hangul, ${latin} Latin letters`);
      for (const word of ['완료', '시도별 건수', '시군구별 건수', '확인이 필요한 행', '결과 내려받기', '좌표오류', '해당없음']) assert.ok(text.includes(word), word);

      // Nothing but this service: page, script, MapLibre and its worker, tiles, GraphQL.
      const foreign = requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('blob:') && !u.startsWith('data:'));
      assert.deepEqual(foreign, []);
      assert.ok(requests.some((u) => /\/tiles\/kostat-2018\/\d+\/\d+\/\d+\.pbf$/.test(u)));
      assert.ok(requests.some((u) => u.includes('/vendor/maplibre-gl/maplibre-gl.mjs')));
      assert.deepEqual(consoleErrors, []);

      assert.ok(fs.statSync(shot).size > 20_000);
    } finally {
      await browser.close();
    }
  });

  test("an unknown id (or another key's conversion): conversion(id) answers NOT_FOUND and the page says there is no such conversion", async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--no-first-run', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ locale: 'ko-KR' });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      await page.goto(`${server.url}/conversions/00000000-0000-0000-0000-000000000000`);
      await page.waitForFunction("document.getElementById('status').textContent === '그런 변환이 없습니다'");
      assert.equal(await page.textContent('#error'), '');
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
    }
  });

  test('the favicon is served, and the upload page links to the conversion page', async () => {
    const icon = await fetch(`${server.url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.deepEqual([...Buffer.from(await icon.arrayBuffer()).subarray(0, 4)], [0, 0, 1, 0]);
    const html = await (await fetch(`${server.url}/`)).text();
    assert.match(html, /\/conversions\/\$\{/);
  });
});
