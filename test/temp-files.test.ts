import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { gql, uploadConversion, uploadPreview, waitForConversion } from './helpers/graphql';
import { InstanceProcess } from './helpers/instance-process';
import { freshDataDir, onPostgres } from './helpers/server';

/**
 * Temporary files (issue 11, "bounded disk"): each conversion's live in DATA_DIR/tmp/<id>/ and
 * each preview's in a folder of its own; the folder goes when the work ends, whichever way, and
 * what a killed process left is swept at the next start. Checked on the service as `npm start`
 * runs it, in a child process, so it can be killed and its descriptors counted.
 */
describe(`temporary files and descriptors (${onPostgres ? 'PostgreSQL' : 'embedded'})`, () => {
  let dataDir: string;
  let instance: InstanceProcess;
  const env = () => ({ DATA_DIR: dataDir, CHUNK_ROWS: '200', LEASE_SECONDS: '30' });

  before(async () => {
    dataDir = await freshDataDir();
    instance = await InstanceProcess.start({ name: 'temp-files', env: env(), ownDisk: false });
    await instance.ready();
  });
  after(async () => {
    await instance?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every file under DATA_DIR/tmp, and partial files anywhere in the storage folders. */
  const leftovers = () => {
    const tmp = path.join(dataDir, 'tmp');
    const inTmp = fs.existsSync(tmp) ? fs.readdirSync(tmp, { recursive: true }).map(String) : [];
    const parts = ['uploads', 'outputs'].flatMap((d) => (fs.existsSync(path.join(dataDir, d)) ? fs.readdirSync(path.join(dataDir, d)).filter((f) => f.endsWith('.part')) : []));
    return [...inTmp, ...parts];
  };
  /** The child's open descriptors, as the targets they point to. */
  const descriptors = (pid: number) =>
    fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '(closed meanwhile)';
      }
    });
  const settle = () => new Promise((r) => setTimeout(r, 1500)); // the reading worker retires after 0.5 s idle
  const pointsCsv = (rows: number) => {
    const lines = ['id,x,y'];
    for (let i = 0; i < rows; i++) lines.push(`${i},${(126.8 + (i % 500) / 1000).toFixed(4)},${(37.45 + (i % 300) / 1000).toFixed(4)}`);
    return { name: 'points.csv', content: `${lines.join('\n')}\n` };
  };
  const createOf = async (file: { name: string; content: Buffer | string }) => {
    const { body } = await uploadConversion(`${instance.url}/graphql`, file);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!.createConversion.id as string;
  };
  /** Waits until the running conversion has a file in its folder (its output being written). */
  const untilWorking = async (id: string) => {
    const folder = path.join(dataDir, 'tmp', id);
    for (let i = 0; i < 3000; i++) {
      if (fs.existsSync(folder) && fs.readdirSync(folder).some((f) => f.endsWith('.part'))) return folder;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`conversion ${id} never had a partial output in ${folder}`);
  };

  test('20 conversions and 20 previews of a 2-sheet workbook leave no temporary file and no extra descriptor', async (t) => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('첫째').addRows([['id', 'x', 'y'], ['a', 126.97, 37.57], ['b', 127.0, 37.5], ['c', 129.07, 35.17]]);
    wb.addWorksheet('둘째').addRows([['id', 'x', 'y'], ['d', 126.53, 33.5], ['e', 128.6, 35.87]]);
    // The shared strings last in the zip, after the sheets, as Excel stores them.
    const zip = await JSZip.loadAsync(await wb.xlsx.writeBuffer());
    const reordered = new JSZip();
    const names = Object.keys(zip.files).filter((n) => !zip.files[n].dir);
    for (const n of [...names.filter((x) => x !== 'xl/sharedStrings.xml'), 'xl/sharedStrings.xml']) reordered.file(n, await zip.file(n)!.async('uint8array'));
    const file = { name: '두시트.xlsx', content: await reordered.generateAsync({ type: 'nodebuffer' }) };

    const once = async () => {
      const done = await waitForConversion(`${instance.url}/graphql`, await createOf(file));
      assert.equal(done.status, 'COMPLETED', done.error);
      assert.equal(done.processedRows, 5);
      const preview = await uploadPreview(`${instance.url}/graphql`, file);
      assert.equal(preview.errors, undefined, JSON.stringify(preview.errors));
      assert.equal(preview.data!.previewFile.sheets.length, 2);
    };
    await once(); // pools, the reading worker and the geocoder warmed up
    await settle();
    const before = descriptors(instance.pid);
    for (let i = 0; i < 20; i++) await once();
    await settle();
    const afterwards = descriptors(instance.pid);
    t.diagnostic(`descriptors of the service: ${before.length} before, ${afterwards.length} after`);

    assert.deepEqual(leftovers(), []);
    // The embedded database's own files (its relations, opened as queries first touch them, as a
    // PostgreSQL backend keeps them open in its own process) are the database's, not leaks.
    const service = (list: string[]) => list.filter((t) => !t.startsWith(path.join(dataDir, 'pglite') + path.sep));
    assert.deepEqual(service(afterwards).filter((t) => t.startsWith(dataDir)), [], 'no descriptor on an upload, output or temporary file');
    // A leak of one per conversion or preview would add 40; pooled connections may come and go.
    assert.ok(service(afterwards).length <= service(before).length + 3, `descriptors ${service(before).length} → ${service(afterwards).length}: ${JSON.stringify(service(afterwards))}`);
  });

  test('a conversion cancelled while it writes leaves no temporary file', async () => {
    const id = await createOf(pointsCsv(100_000));
    const folder = await untilWorking(id);
    const cancelled = await gql(`${instance.url}/graphql`, `mutation ($id: ID!) { cancelConversion(id: $id) { status } }`, { id });
    assert.equal(cancelled.data?.cancelConversion.status, 'CANCELLED', JSON.stringify(cancelled));
    // The worker sees the cancel at its next chunk, then removes the folder and the upload.
    const upload = path.join(dataDir, 'uploads', id);
    for (let i = 0; i < 200 && (fs.existsSync(folder) || fs.existsSync(upload)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(fs.existsSync(folder), false, 'the worker removed the folder once it saw the cancel');
    assert.deepEqual(leftovers(), []);
    assert.equal(fs.existsSync(upload), false, 'nor the upload');
  });

  test('a process killed while it writes: the next start sweeps its folders and the conversion completes', async () => {
    const id = await createOf(pointsCsv(100_000));
    const folder = await untilWorking(id);
    // A preview of the same process caught by the kill, and a conversion's folder of long ago.
    const preview = path.join(dataDir, 'tmp', `preview-${os.hostname()}-${instance.pid}-0badcafe`);
    fs.mkdirSync(preview);
    fs.writeFileSync(path.join(preview, 'upload'), 'x,y\n126.9,37.5\n');
    const orphan = path.join(dataDir, 'tmp', '00000000-0000-4000-8000-000000000000');
    fs.mkdirSync(orphan);
    fs.writeFileSync(path.join(orphan, 'outputs.xlsx.0000.part'), 'partial');
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(path.join(orphan, 'outputs.xlsx.0000.part'), old, old);
    fs.utimesSync(orphan, old, old);

    await instance.kill();
    assert.ok(fs.readdirSync(folder).some((f) => f.endsWith('.part')), 'the killed process left its partial output');

    instance = await InstanceProcess.start({ name: 'temp-files-again', env: env(), ownDisk: false });
    await instance.ready();
    const done = await waitForConversion(`${instance.url}/graphql`, id, 300_000);
    assert.equal(done.status, 'COMPLETED', done.error);
    assert.equal(done.processedRows, 100_000);
    for (let i = 0; i < 100 && leftovers().length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(leftovers(), []);
    assert.ok(instance.lines.some((l) => /Removed \d+ temporary folder/.test(l)), 'the start says what it swept');
  });
});
