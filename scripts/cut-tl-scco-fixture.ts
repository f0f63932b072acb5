/**
 * Cuts a small TL_SCCO fixture out of a full TL_SCCO_* download, byte for byte: the chosen
 * records' shapes and DBF rows are copied unchanged (CP949 text stays CP949, field layout and
 * `.prj` stay official), only headers (counts, lengths, bounding box) are rewritten, and a `.cpg`
 * is copied only where the source has one, so the fixture keeps the levels without `.cpg`.
 *
 *   npx tsx scripts/cut-tl-scco-fixture.ts <source dir> <target dir> <code prefix,…>
 *
 * A record is kept when its code and one of the prefixes are prefixes of each other, so
 * `21310` keeps 시도 21, 시군구 21310 and every 읍면동/리 below it. The fixture in
 * test/fixtures/tl-scco was made with prefixes 21010,21310,23010,29010,31350 (부산 중구, 기장군,
 * 인천 중구, 세종시, 연천군) from the TL_SCCO sample described in test/fixtures/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';

const LEVEL_FILES: { base: string; codeField: string }[] = [
  { base: 'TL_SCCO_CTPRVN', codeField: 'CTPRVN_CD' },
  { base: 'TL_SCCO_SIG', codeField: 'SIG_CD' },
  { base: 'TL_SCCO_EMD', codeField: 'EMD_CD' },
  { base: 'TL_SCCO_LI', codeField: 'LI_CD' },
];

const [sourceDir, targetDir, prefixList] = process.argv.slice(2);
if (!sourceDir || !targetDir || !prefixList) {
  console.error('usage: tsx scripts/cut-tl-scco-fixture.ts <source dir> <target dir> <code prefix,…>');
  process.exit(2);
}
const prefixes = prefixList.split(',').map((p) => p.trim()).filter(Boolean);
fs.mkdirSync(targetDir, { recursive: true });

for (const { base, codeField } of LEVEL_FILES) {
  const from = (ext: string) => path.join(sourceDir, base + ext);
  const to = (ext: string) => path.join(targetDir, base + ext);
  if (!fs.existsSync(from('.shp'))) continue;
  const dbf = fs.readFileSync(from('.dbf'));
  const codes = readCodes(dbf, codeField);
  const keep = codes.flatMap((code, i) => (prefixes.some((p) => p.startsWith(code) || code.startsWith(p)) ? [i] : []));
  fs.writeFileSync(to('.dbf'), cutDbf(dbf, keep));
  const { shp, shx } = cutShp(fs.readFileSync(from('.shp')), fs.readFileSync(from('.shx')), keep);
  fs.writeFileSync(to('.shp'), shp);
  fs.writeFileSync(to('.shx'), shx);
  for (const ext of ['.prj', '.cpg']) {
    if (fs.existsSync(from(ext))) fs.writeFileSync(to(ext), fs.readFileSync(from(ext)));
    else fs.rmSync(to(ext), { force: true });
  }
  console.log(`${base}: kept ${keep.length} of ${codes.length} records, ${(fs.statSync(to('.shp')).size / 1024).toFixed(0)} KB .shp`);
}

/** The (ASCII) values of one character field of every record. */
function readCodes(dbf: Buffer, field: string): string[] {
  const count = dbf.readUInt32LE(4);
  const headerLength = dbf.readUInt16LE(8);
  const recordLength = dbf.readUInt16LE(10);
  let offset = 1; // each record starts with its deletion flag
  let found: { offset: number; length: number } | null = null;
  for (let at = 32; dbf[at] !== 0x0d; at += 32) {
    const name = dbf.toString('latin1', at, at + 11).replace(/\0.*$/, '');
    const length = dbf[at + 16];
    if (name === field) found = { offset, length };
    offset += length;
  }
  if (!found) throw new Error(`no field ${field}`);
  return Array.from({ length: count }, (_, i) => {
    const start = headerLength + i * recordLength + found!.offset;
    return dbf.toString('latin1', start, start + found!.length).trim();
  });
}

function cutDbf(dbf: Buffer, keep: number[]): Buffer {
  const headerLength = dbf.readUInt16LE(8);
  const recordLength = dbf.readUInt16LE(10);
  const header = Buffer.from(dbf.subarray(0, headerLength));
  header.writeUInt32LE(keep.length, 4);
  const records = keep.map((i) => dbf.subarray(headerLength + i * recordLength, headerLength + (i + 1) * recordLength));
  return Buffer.concat([header, ...records, Buffer.from([0x1a])]);
}

/** Copies the chosen records (renumbered from 1) and rebuilds both headers and the .shx index. */
function cutShp(shp: Buffer, shx: Buffer, keep: number[]): { shp: Buffer; shx: Buffer } {
  const parts: Buffer[] = [];
  const index = Buffer.alloc(8 * keep.length);
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  let offsetWords = 50; // the 100-byte header
  keep.forEach((i, n) => {
    const at = shx.readInt32BE(100 + 8 * i) * 2;
    const contentBytes = shp.readInt32BE(at + 4) * 2;
    const record = Buffer.from(shp.subarray(at, at + 8 + contentBytes));
    record.writeInt32BE(n + 1, 0);
    if (record.readInt32LE(8) !== 0) {
      // Every non-null shape type used for boundaries starts with its own Xmin, Ymin, Xmax, Ymax.
      box[0] = Math.min(box[0], record.readDoubleLE(12));
      box[1] = Math.min(box[1], record.readDoubleLE(20));
      box[2] = Math.max(box[2], record.readDoubleLE(28));
      box[3] = Math.max(box[3], record.readDoubleLE(36));
    }
    index.writeInt32BE(offsetWords, 8 * n);
    index.writeInt32BE(contentBytes / 2, 8 * n + 4);
    offsetWords += record.length / 2;
    parts.push(record);
  });
  const header = (lengthWords: number) => {
    const h = Buffer.from(shp.subarray(0, 100));
    h.writeInt32BE(lengthWords, 24);
    if (keep.length) box.forEach((v, k) => h.writeDoubleLE(v, 36 + 8 * k));
    return h;
  };
  return {
    shp: Buffer.concat([header(offsetWords), ...parts]),
    shx: Buffer.concat([header(50 + 4 * keep.length), index]),
  };
}
