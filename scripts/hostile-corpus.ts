/**
 * The hostile corpus of issue 13: generates about fifty hostile, broken and oversized files in a
 * temporary folder (zip and XML bombs, XXE, truncated and encrypted containers, huge cells and
 * rows, thousands of sheets, binaries under a spreadsheet's name, odd encodings, absurd numbers,
 * hostile file and sheet names, a few hundred MB of legitimate data), uploads each through the
 * real multipart API of a real server (a child process with `npm start`'s Node flags, see
 * bench/server-process.ts) while a small normal conversion runs alongside, and prints per file
 * what the user got, the server's peak RSS, whether the side conversion came back with every row
 * and whether the server is still alive, as a markdown table.
 *
 *   npx tsx scripts/hostile-corpus.ts                       (embedded database)
 *   DATABASE_URL=postgres://… npx tsx scripts/hostile-corpus.ts
 *   options: --only <substring>, --skip-large, --files <dir> (keep generated files there)
 *
 * Exits non-zero when the server died, its RSS went over 1.5 GB (embedded) or 600 MB
 * (PostgreSQL), an internal message reached a user, a side conversion failed or lost rows, or a
 * file that must convert did not. Big files are written as streams, never held in memory.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import zlib from 'node:zlib';
import CFB from 'cfb';
import { Command } from 'commander';
import iconv from 'iconv-lite';
import pg from 'pg';
import * as XLSX from 'xlsx';
import { ServerProcess } from '../bench/server-process';

const program = new Command()
  .option('--only <substring>', 'only the files whose name contains this')
  .option('--skip-large', 'leave out the files of hundreds of MB (and the slow 2 GiB sheet)')
  .option('--files <dir>', 'generate the files in this folder and keep them (reused when present)')
  .option('--data-dir <dir>', "the server's DATA_DIR (kept; default: a temporary folder)")
  .parse();
const opts = program.opts<{ only?: string; skipLarge?: boolean; files?: string; dataDir?: string }>();
const databaseUrl = process.env.DATABASE_URL || undefined;
const RSS_LIMIT = databaseUrl ? 600 * 1024 * 1024 : 1536 * 1024 * 1024;
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Writing files as streams

type Chunks = Iterable<string | Buffer> | AsyncIterable<string | Buffer>;

async function writeChunks(file: string, chunks: Chunks): Promise<void> {
  const out = fs.createWriteStream(file);
  for await (const chunk of chunks) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'close');
}

/** One zip entry: its deflated bytes (as pieces written in turn), CRC and sizes known up front. */
interface ZipEntry {
  name: string;
  crc: number;
  size: number;
  compressedSize: number;
  pieces: () => Iterable<Buffer> | AsyncIterable<Buffer>;
}

const deflate = (buf: Buffer, flush = zlib.constants.Z_FINISH) => zlib.deflateRawSync(buf, { finishFlush: flush, level: 9 });

function entry(name: string, content: string | Buffer): ZipEntry {
  const data = Buffer.from(content);
  const compressed = deflate(data);
  return { name, crc: zlib.crc32(data), size: data.length, compressedSize: compressed.length, pieces: () => [compressed] };
}

/**
 * A zip bomb's entry: head, then `unit` repeated until `bytes` are reached, then tail. The unit
 * is deflated once (full flush: no reference to what came before) and its compressed bytes are
 * repeated, so 2 GiB of XML cost a few MB on disk and no memory.
 */
function repeatedEntry(name: string, head: string, unit: string, bytes: number, tail: string): ZipEntry {
  const chunk = Buffer.from(unit.repeat(Math.max(1, Math.floor(MB / unit.length))));
  const count = Math.ceil((bytes - head.length - tail.length) / chunk.length);
  const h = deflate(Buffer.from(head), zlib.constants.Z_FULL_FLUSH);
  const c = deflate(chunk, zlib.constants.Z_FULL_FLUSH);
  const t = deflate(Buffer.from(tail));
  let crc = zlib.crc32(head);
  for (let i = 0; i < count; i++) crc = zlib.crc32(chunk, crc);
  crc = zlib.crc32(tail, crc);
  const size = Buffer.byteLength(head) + count * chunk.length + Buffer.byteLength(tail);
  if (size >= 2 ** 32) throw new Error('repeatedEntry: no zip64 here');
  return {
    name,
    crc,
    size,
    compressedSize: h.length + count * c.length + t.length,
    *pieces() {
      yield h;
      for (let i = 0; i < count; i++) yield c;
      yield t;
    },
  };
}

/** An entry whose content is generated piece by piece, deflated into a temporary file first. */
async function streamedEntry(name: string, tmpDir: string, chunks: Iterable<string>): Promise<ZipEntry> {
  const tmp = path.join(tmpDir, `entry-${Math.random().toString(36).slice(2)}.deflate`);
  const out = fs.createWriteStream(tmp);
  const def = zlib.createDeflateRaw({ level: 6 });
  def.pipe(out);
  let crc = 0;
  let size = 0;
  for (const s of chunks) {
    const b = Buffer.from(s);
    crc = zlib.crc32(b, crc);
    size += b.length;
    if (!def.write(b)) await once(def, 'drain');
  }
  def.end();
  await once(out, 'close');
  const compressedSize = fs.statSync(tmp).size;
  return {
    name,
    crc,
    size,
    compressedSize,
    async *pieces() {
      for await (const b of fs.createReadStream(tmp)) yield b as Buffer;
      fs.rmSync(tmp, { force: true });
    },
  };
}

/** A zip file of deflated entries (no zip64: every entry and the file stay under 4 GiB). */
async function writeZip(file: string, entries: ZipEntry[]): Promise<void> {
  const central: Buffer[] = [];
  let offset = 0;
  async function* all() {
    for (const e of entries) {
      const name = Buffer.from(e.name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(8, 8); // deflate
      local.writeUInt32LE(0x00210000, 10); // 1980-01-01
      local.writeUInt32LE(e.crc >>> 0, 14);
      local.writeUInt32LE(e.compressedSize, 18);
      local.writeUInt32LE(e.size, 22);
      local.writeUInt16LE(name.length, 26);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(20, 4);
      cd.writeUInt16LE(20, 6);
      cd.writeUInt16LE(0x0800, 8);
      cd.writeUInt16LE(8, 10);
      cd.writeUInt32LE(0x00210000, 12);
      cd.writeUInt32LE(e.crc >>> 0, 16);
      cd.writeUInt32LE(e.compressedSize, 20);
      cd.writeUInt32LE(e.size, 24);
      cd.writeUInt16LE(name.length, 28);
      cd.writeUInt32LE(offset, 42);
      central.push(cd, name);
      yield local;
      yield name;
      for await (const p of e.pieces()) yield p;
      offset += 30 + name.length + e.compressedSize;
    }
    const cdBytes = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cdBytes.length, 12);
    end.writeUInt32LE(offset, 16);
    yield cdBytes;
    yield end;
  }
  await writeChunks(file, all());
}

// ---------------------------------------------------------------------------------------------
// Workbooks written by hand (every part raw, so that each can be made hostile)

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function column(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}
/** A cell as Excel writes it, with its reference (exceljs's reader needs r="…" on every cell). */
function cellXml(v: string | number, ref: string): string {
  return typeof v === 'number' ? `<c r="${ref}"><v>${v}</v></c>` : `<c r="${ref}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
}
function rowXml(r: (string | number)[], n: number): string {
  return `<row r="${n}">${r.map((v, i) => cellXml(v, `${column(i)}${n}`)).join('')}</row>`;
}
function rowsXml(rows: (string | number)[][], first = 1): string {
  return rows.map((r, i) => rowXml(r, first + i)).join('');
}
function sheetXml(rows: (string | number)[][], doctype = ''): string {
  return `${XML_HEAD}${doctype}<worksheet ${NS}><sheetData>${rowsXml(rows)}</sheetData></worksheet>`;
}

interface WorkbookParts {
  /** Sheet names (raw, escaped here) and their worksheet entries. */
  sheets: { name: string; part: ZipEntry | string }[];
  sharedStrings?: ZipEntry | string;
  /** Replaces the generated workbook.xml. */
  workbookXml?: string;
  extra?: ZipEntry[];
}

function workbookEntries(p: WorkbookParts): ZipEntry[] {
  const n = p.sheets.length;
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const types =
    `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
    `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
    ids.map((i) => `<Override PartName="/xl/worksheets/sheet${i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('') +
    (p.sharedStrings ? `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` : '') +
    `</Types>`;
  const rels = `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  const wbRels =
    `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    ids.map((i) => `<Relationship Id="rId${i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i}.xml"/>`).join('') +
    (p.sharedStrings ? `<Relationship Id="rId${n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` : '') +
    `</Relationships>`;
  const workbook = p.workbookXml ?? `${XML_HEAD}<workbook ${NS}><sheets>${p.sheets.map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets></workbook>`;
  return [
    entry('[Content_Types].xml', types),
    entry('_rels/.rels', rels),
    entry('xl/workbook.xml', workbook),
    entry('xl/_rels/workbook.xml.rels', wbRels),
    ...(p.sharedStrings ? [typeof p.sharedStrings === 'string' ? entry('xl/sharedStrings.xml', p.sharedStrings) : p.sharedStrings] : []),
    ...p.sheets.map((s, i) => (typeof s.part === 'string' ? entry(`xl/worksheets/sheet${i + 1}.xml`, s.part) : { ...s.part, name: `xl/worksheets/sheet${i + 1}.xml` })),
    ...(p.extra ?? []),
  ];
}

const writeWorkbook = (file: string, p: WorkbookParts) => writeZip(file, workbookEntries(p));

// ---------------------------------------------------------------------------------------------
// The corpus

const HEADER = ['id', 'x', 'y', 'memo'];
const point = (i: number): [number, number] => [Number((126.8 + (i % 500) / 1000).toFixed(4)), Number((37.45 + (i % 300) / 1000).toFixed(4))];
const dataRows = (n: number, memo = (i: number) => `메모 ${i}`) => Array.from({ length: n }, (_, i) => [i, ...point(i), memo(i)] as (string | number)[]);
const csvText = (rows: (string | number)[][], eol = '\n') => [HEADER, ...rows].map((r) => r.join(',')).join(eol) + eol;

function* repeat(s: string | Buffer, times: number): Generator<string | Buffer> {
  for (let i = 0; i < times; i++) yield s;
}

function billionLaughs(): string {
  let d = '<!DOCTYPE lolz [<!ENTITY lol0 "lol">';
  for (let i = 1; i <= 9; i++) d += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
  return d + ']>';
}
const XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';

type Expect = 'COMPLETED' | 'ERROR' | 'ANY';
interface Case {
  /** Name of the file on disk (safe), and the name it is uploaded under (may be hostile). */
  file: string;
  uploadName?: string;
  what: string;
  expect: Expect;
  large?: boolean;
  preview?: boolean;
  make(file: string, tmp: string): Promise<void>;
}

const text = (content: string | Buffer) => (file: string) => writeChunks(file, [content]);
const smallWorkbook = (rows = dataRows(20)) => [HEADER, ...rows];
const truncatedBase = async (file: string, fraction: number, tmp: string) => {
  const full = path.join(tmp, 'truncate-base.xlsx');
  if (!fs.existsSync(full)) await writeWorkbook(full, { sheets: [{ name: '기록', part: sheetXml(smallWorkbook(dataRows(30_000, (i) => `메모 ${i} ${'가나다라'.repeat(i % 7)}`))) }] });
  const bytes = fs.readFileSync(full);
  fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * fraction)));
};
const garbage = (head: Buffer, n: number) => {
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = (i * 2654435761) >>> 24;
  return Buffer.concat([head, body]);
};

const CASES: Case[] = [
  // CSV: empty, odd encodings, odd bytes
  { file: 'empty.csv', what: 'empty file', expect: 'ERROR', make: text('') },
  { file: 'header-only.csv', what: 'header, no rows', expect: 'ERROR', make: text('id,x,y,memo\n') },
  { file: 'nul-bytes.csv', what: 'NUL bytes in cells and a line of 10,000 NULs', expect: 'ANY', make: text(Buffer.concat([Buffer.from(csvText(dataRows(20)).replace('메모 3', 'a\0b')), Buffer.alloc(10_000), Buffer.from('\n99,126.9,37.5,끝\n')])) },
  { file: 'utf16le-bom.csv', what: 'UTF-16LE with BOM', expect: 'COMPLETED', make: text(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(csvText(dataRows(50)).replace('id,x,y,memo', '번호,경도,위도,메모'), 'utf16le')])) },
  { file: 'utf16le-nobom.csv', what: 'UTF-16LE without BOM', expect: 'ANY', make: text(iconv.encode(csvText(dataRows(50)).replace('id,x,y,memo', '번호,경도,위도,메모'), 'utf16le')) },
  { file: 'utf16be-bom.csv', what: 'UTF-16BE with BOM', expect: 'COMPLETED', make: text(Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(csvText(dataRows(50)).replace('id,x,y,memo', '번호,경도,위도,메모'), 'utf16be')])) },
  { file: 'euc-kr.csv', what: 'EUC-KR', expect: 'COMPLETED', make: text(iconv.encode(csvText(dataRows(50, (i) => `서울 메모 ${i}`)).replace('id,x,y,memo', '번호,경도,위도,메모'), 'euc-kr')) },
  { file: 'cp949.csv', what: 'CP949 (똠, 햏: not in EUC-KR)', expect: 'COMPLETED', make: text(iconv.encode(csvText(dataRows(50, (i) => `똠방각하 햏 ${i}`)).replace('id,x,y,memo', '번호,경도,위도,메모'), 'cp949')) },
  { file: 'mixed-eol.csv', what: 'CRLF, LF and CR line endings mixed', expect: 'ANY', make: text(['id,x,y,memo', ...dataRows(60).map((r) => r.join(','))].map((l, i) => l + ['\r\n', '\n', '\r'][i % 3]).join('')) },
  {
    file: 'absurd-numbers.csv',
    what: '1e308, 1e309, NaN, -0, 0x1F, Infinity, -1e-400',
    expect: 'COMPLETED',
    make: text(csvText([...dataRows(10), ...['1e308', '1e309', 'NaN', '-0', '0x1F', 'Infinity', '-1e-400'].flatMap((v, i) => [[100 + i, v, 37.5, v], [200 + i, 126.9, v, v]])])),
  },
  { file: 'digits-50000.csv', what: '50,000-digit numbers', expect: 'ERROR', make: text(`x,y,memo\n${'1'.repeat(50_000)},${'9'.repeat(50_000)},a\n${'1'.repeat(50_000)}x,37.5,b\n126.9,37.5,c\n`) },
  { file: 'quote-not-closed.csv', what: 'quote opened at record 300,003, never closed', expect: 'ERROR', make: (f) => writeChunks(f, (function* () {
    yield 'id,x,y,memo\n';
    for (let i = 0; i < 300_001; i++) yield `${i},${point(i).join(',')},m\n`;
    yield '300003,126.9,37.5,"열린 따옴표\n';
    for (let i = 0; i < 1000; i++) yield `${i},126.9,37.5,m\n`;
  })()) },
  { file: 'row-too-long.csv', what: 'a record of 40 cells of 30,000 characters', expect: 'ERROR', make: text(`id,x,y,${Array.from({ length: 40 }, (_, i) => `m${i}`).join(',')}\n1,126.9,37.5,${Array.from({ length: 40 }, () => 'ㄱ'.repeat(30_000)).join(',')}\n`) },
  { file: 'columns-16385.csv', what: 'a row of 16,385 columns', expect: 'ERROR', make: text(`x,y,${Array.from({ length: 16_383 }, (_, i) => `c${i}`).join(',')}\n126.9,37.5,${Array.from({ length: 16_383 }, (_, i) => i % 10).join(',')}\n`) },
  { file: 'columns-100000.csv', what: 'a row of 100,000 columns', expect: 'ERROR', make: text(`x,y,memo\n126.9,37.5,${Array.from({ length: 99_998 }, (_, i) => i % 10).join(',')}\n`) },
  { file: 'field-200mb.csv', what: 'one quoted field of 200 MB', expect: 'ERROR', large: true, make: (f) => writeChunks(f, (function* () {
    yield 'id,x,y,memo\n1,126.9,37.5,"';
    yield* repeat(Buffer.alloc(MB, 'A'), 200);
    yield '"\n2,126.9,37.5,b\n';
  })()) },
  { file: 'no-newline-100mb.csv', what: '100 MB with no comma or line end after the header', expect: 'ERROR', large: true, make: (f) => writeChunks(f, (function* () {
    yield 'x,y\n';
    yield* repeat(Buffer.alloc(MB, '7'), 100);
  })()) },
  { file: 'legit-400mb.csv', what: 'legitimate: 101,000 rows with a 4 KiB memo each (~400 MB)', expect: 'COMPLETED', large: true, preview: false, make: (f) => writeChunks(f, (function* () {
    yield 'id,x,y,memo\n';
    const memo = ('차량 운행 기록 메모 Vehicle log memo 0123456789 ').repeat(120);
    const base = Buffer.from(memo).subarray(0, 4096 - 16).toString().replace(/\uFFFD/g, '');
    for (let i = 0; i < 101_000; i++) yield `${i},${point(i).join(',')},"${base} #${i}"\n`;
  })()) },

  // Binaries under a spreadsheet's name
  { file: 'pdf-as.csv', what: 'a PDF renamed .csv', expect: 'ERROR', make: text(garbage(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n', 'latin1'), 100_000)) },
  { file: 'pdf-as.xlsx', what: 'a PDF renamed .xlsx', expect: 'ERROR', make: text(garbage(Buffer.from('%PDF-1.7\n', 'latin1'), 100_000)) },
  { file: 'png-as.xlsx', what: 'a PNG renamed .xlsx', expect: 'ERROR', make: text(garbage(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), 50_000)) },
  { file: 'png-as.csv', what: 'a PNG renamed .csv', expect: 'ERROR', make: text(garbage(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 50_000)) },
  { file: 'elf-as.csv', what: 'an ELF executable renamed .csv', expect: 'ERROR', make: text(garbage(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0]), 200_000)) },
  { file: 'elf-as.xlsx', what: 'an ELF executable renamed .xlsx', expect: 'ERROR', make: text(garbage(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 200_000)) },

  // Hostile file names (the content is a good CSV)
  { file: 'name-traversal.csv', uploadName: '../../etc/passwd.csv', what: 'file name ../../etc/passwd.csv', expect: 'COMPLETED', make: text(csvText(dataRows(20))) },
  { file: 'name-long.csv', uploadName: `${'아주긴파일이름'.repeat(60)}.csv`, what: 'a 424-character file name', expect: 'COMPLETED', make: text(csvText(dataRows(20))) },
  { file: 'name-control.csv', uploadName: 'a\u0001b\u0007c\u001b[31m\u007f\td.csv', what: 'control characters in the file name (the multipart parser refuses the part header)', expect: 'ERROR', make: text(csvText(dataRows(20))) },
  { file: 'name-rtl.csv', uploadName: '보고서\u202Eexe.csv', what: 'right-to-left override in the file name', expect: 'COMPLETED', make: text(csvText(dataRows(20))) },
  { file: 'name-formula.csv', uploadName: '=HYPERLINK("http://x","y").csv', what: 'a formula as the file name', expect: 'COMPLETED', make: text(csvText(dataRows(20))) },

  // Zip and XML bombs
  {
    file: 'bomb-sheet-2gib-rows.xlsx',
    what: 'sheet XML inflating to 2 GiB of rows (a 6 MB zip)',
    expect: 'ERROR',
    large: true,
    make: (f) =>
      writeZip(f, workbookEntries({ sheets: [{ name: '폭탄', part: repeatedEntry('s', `${XML_HEAD}<worksheet ${NS}><sheetData>${rowsXml([HEADER])}`, `<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>126.97</v></c><c r="C2"><v>37.57</v></c><c r="D2" t="inlineStr"><is><t>${'폭'.repeat(300)}</t></is></c></row>`, 2 * 1024 * MB - 1024, '</sheetData></worksheet>') }] })),
  },
  {
    file: 'bomb-sheet-2gib-blank.xlsx',
    what: 'sheet XML inflating to 2 GiB of blanks',
    expect: 'ERROR',
    make: (f) => writeZip(f, workbookEntries({ sheets: [{ name: 'Sheet1', part: repeatedEntry('s', `${XML_HEAD}<worksheet ${NS}><sheetData>${rowsXml([HEADER, ...dataRows(3)])}`, ' ', 2 * 1024 * MB - 1024, '</sheetData></worksheet>') }] })),
  },
  {
    file: 'bomb-cell-1gib.xlsx',
    what: 'one cell inflating to 1 GiB (a 1 MB zip)',
    expect: 'ERROR',
    make: (f) => writeZip(f, workbookEntries({ sheets: [{ name: 'Sheet1', part: repeatedEntry('s', `${XML_HEAD}<worksheet ${NS}><sheetData>${rowsXml([HEADER])}<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>126.9</v></c><c r="C2"><v>37.5</v></c><c r="D2" t="inlineStr"><is><t>`, 'A', 1024 * MB, '</t></is></c></row></sheetData></worksheet>') }] })),
  },
  {
    file: 'bomb-shared-strings-1gib.xlsx',
    what: 'shared strings inflating to 1 GiB',
    expect: 'ERROR',
    make: (f) =>
      writeWorkbook(f, {
        sheets: [{ name: 'Sheet1', part: sheetXml(smallWorkbook()) }],
        sharedStrings: repeatedEntry('xl/sharedStrings.xml', `${XML_HEAD}<sst ${NS}>`, '<si><t>폭탄</t></si>', 1024 * MB, '</sst>'),
      }),
  },
  {
    file: 'shared-strings-2.5m.xlsx',
    what: '2,500,000 unique shared strings',
    expect: 'ERROR',
    make: async (f, tmp) =>
      writeWorkbook(f, {
        sheets: [{ name: 'Sheet1', part: `${XML_HEAD}<worksheet ${NS}><sheetData>${rowsXml([HEADER])}${Array.from({ length: 20 }, (_, i) => `<row r="${i + 2}">${cellXml(i, `A${i + 2}`)}${cellXml(point(i)[0], `B${i + 2}`)}${cellXml(point(i)[1], `C${i + 2}`)}<c r="D${i + 2}" t="s"><v>${i * 100_000}</v></c></row>`).join('')}</sheetData></worksheet>` }],
        sharedStrings: await streamedEntry('xl/sharedStrings.xml', tmp, (function* () {
          yield `${XML_HEAD}<sst ${NS} count="2500000" uniqueCount="2500000">`;
          for (let i = 0; i < 2_500_000; i += 1000) yield Array.from({ length: 1000 }, (_, j) => `<si><t>고유 문자열 ${i + j}</t></si>`).join('');
          yield '</sst>';
        })()),
      }),
  },
  { file: 'billion-laughs-sheet.xlsx', what: 'billion laughs (DTD) in sheet XML', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: `${XML_HEAD}${billionLaughs()}<worksheet ${NS}><sheetData>${rowsXml([HEADER])}<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>126.9</v></c><c r="C2"><v>37.5</v></c><c r="D2" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>` }] }) },
  { file: 'billion-laughs-sst.xlsx', what: 'billion laughs in sharedStrings.xml', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: sheetXml(smallWorkbook()) }], sharedStrings: `${XML_HEAD}${billionLaughs()}<sst ${NS}><si><t>&lol9;</t></si></sst>` }) },
  { file: 'billion-laughs-workbook.xlsx', what: 'billion laughs in workbook.xml (sheet name)', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'x', part: sheetXml(smallWorkbook()) }], workbookXml: `${XML_HEAD}${billionLaughs()}<workbook ${NS}><sheets><sheet name="&lol9;" sheetId="1" r:id="rId1"/></sheets></workbook>` }) },
  { file: 'xxe-workbook.xlsx', what: 'XXE (file:///etc/passwd) in workbook.xml', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'x', part: sheetXml(smallWorkbook()) }], workbookXml: `${XML_HEAD}${XXE}<workbook ${NS}><sheets><sheet name="&xxe;" sheetId="1" r:id="rId1"/></sheets></workbook>` }) },
  { file: 'xxe-sheet.xlsx', what: 'XXE in sheet XML', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: `${XML_HEAD}${XXE}<worksheet ${NS}><sheetData>${rowsXml([HEADER])}<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>126.9</v></c><c r="C2"><v>37.5</v></c><c r="D2" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>` }] }) },
  { file: 'xxe-sst.xlsx', what: 'XXE in sharedStrings.xml', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: sheetXml(smallWorkbook()) }], sharedStrings: `${XML_HEAD}${XXE}<sst ${NS}><si><t>&xxe;</t></si></sst>` }) },
  { file: 'dtd-undefined-entity.xlsx', what: 'a DTD and an undefined entity in sheet XML', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: `${XML_HEAD}<!DOCTYPE worksheet []><worksheet ${NS}><sheetData>${rowsXml([HEADER])}<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>126.9</v></c><c r="C2"><v>37.5</v></c><c r="D2" t="inlineStr"><is><t>&nope;</t></is></c></row></sheetData></worksheet>` }] }) },

  // Broken containers
  { file: 'truncated-30.xlsx', what: 'zip cut at 30%', expect: 'ERROR', make: (f, t) => truncatedBase(f, 0.3, t) },
  { file: 'truncated-60.xlsx', what: 'zip cut at 60%', expect: 'ERROR', make: (f, t) => truncatedBase(f, 0.6, t) },
  { file: 'truncated-90.xlsx', what: 'zip cut at 90%', expect: 'ERROR', make: (f, t) => truncatedBase(f, 0.9, t) },
  {
    file: 'encrypted.xlsx',
    what: 'password-protected XLSX (CFB container)',
    expect: 'ERROR',
    make: async (f) => {
      const cfb = CFB.utils.cfb_new();
      CFB.utils.cfb_add(cfb, '/EncryptionInfo', Buffer.concat([Buffer.from([4, 0, 4, 0, 0x40, 0, 0, 0]), Buffer.alloc(200, 1)]));
      CFB.utils.cfb_add(cfb, '/EncryptedPackage', garbage(Buffer.from([0, 0x10, 0, 0, 0, 0, 0, 0]), 8192));
      fs.writeFileSync(f, Buffer.from(CFB.write(cfb, { type: 'buffer' }) as Uint8Array));
    },
  },
  {
    file: 'old.xls',
    what: 'Excel 97-2003 .xls (BIFF8)',
    expect: 'ERROR',
    make: async (f) => {
      const wb = XLSX.utils.book_new();
      XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(smallWorkbook()), '기록');
      fs.writeFileSync(f, XLSX.write(wb, { type: 'buffer', bookType: 'xls' }) as Buffer);
    },
  },
  {
    file: 'old-as.xlsx',
    what: 'a .xls renamed .xlsx',
    expect: 'ERROR',
    make: async (f) => {
      const wb = XLSX.utils.book_new();
      XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(smallWorkbook()), '기록');
      fs.writeFileSync(f, XLSX.write(wb, { type: 'buffer', bookType: 'xls' }) as Buffer);
    },
  },
  { file: 'zip-slip.xlsx', what: 'a good workbook with an entry ../../../../tmp/c2r-zip-slip.txt', expect: 'COMPLETED', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: sheetXml(smallWorkbook()) }], extra: [entry('../../../../tmp/c2r-zip-slip.txt', 'escaped')] }) },
  { file: 'empty.xlsx', what: 'a 0-byte .xlsx', expect: 'ERROR', make: text('') },
  { file: 'no-sheets.xlsx', what: 'a workbook without sheets', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [] }) },
  { file: 'header-only.xlsx', what: 'header row only', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: sheetXml([HEADER]) }] }) },
  { file: 'xml-nul.xlsx', what: 'NUL and other invalid characters in sheet XML', expect: 'ANY', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: sheetXml(smallWorkbook()).replace('메모 3', 'a\u0000b\u0001c\uFFFF') }] }) },

  // Huge rows, many sheets, far rows, absurd values, hostile sheet names
  { file: 'columns-16385.xlsx', what: 'a row of 16,385 cells', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: sheetXml([[...HEADER.slice(1, 3), ...Array.from({ length: 16_383 }, (_, i) => `c${i}`)], [126.9, 37.5, ...Array.from({ length: 16_383 }, (_, i) => i)]]) }] }) },
  { file: 'columns-100000.xlsx', what: 'a row of 100,000 cells', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: sheetXml([['x', 'y'], [126.9, 37.5, ...Array.from({ length: 99_998 }, (_, i) => i)]]) }] }) },
  { file: 'sheets-2000.xlsx', what: '2,000 sheets of one row each', expect: 'ERROR', make: (f) => writeWorkbook(f, { sheets: Array.from({ length: 2000 }, (_, i) => ({ name: `시트${i + 1}`, part: sheetXml([HEADER, [i, ...point(i), 'm']]) })) }) },
  { file: 'row-2000000000.xlsx', what: 'row r="2000000000"', expect: 'ANY', make: (f) => writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: sheetXml(smallWorkbook()).replace('</sheetData>', '<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>far</t></is></c></row></sheetData>') }] }) },
  {
    file: 'absurd-numbers.xlsx',
    what: '<v> of 1e308, 1e309, NaN, -0, 0x1F, Infinity, 50,000 digits',
    expect: 'COMPLETED',
    make: (f) => {
      const odd = ['1e308', '1e309', 'NaN', '-0', '0x1F', 'Infinity', '-1e-400', '1'.repeat(50_000)];
      const row = (n: number, cells: string[]) => `<row r="${n}">${cells.map((v, c) => `<c r="${column(c)}${n}"><v>${v}</v></c>`).join('')}</row>`;
      const rows = odd.flatMap((v, i) => [row(22 + 2 * i, [`${100 + i}`, v, '37.5', v]), row(23 + 2 * i, [`${200 + i}`, '126.9', v, v])]);
      return writeWorkbook(f, { sheets: [{ name: 'Sheet1', part: `${XML_HEAD}<worksheet ${NS}><sheetData>${rowsXml(smallWorkbook())}${rows.join('')}</sheetData></worksheet>` }] });
    },
  },
  {
    file: 'sheet-names.xlsx',
    what: 'sheet names =HYPERLINK(…), []:*?/\\, 40 characters, twice the same',
    expect: 'COMPLETED',
    make: (f) =>
      writeWorkbook(f, {
        sheets: ['=HYPERLINK("http://evil","클릭")', '[]:*?/\\', '아주 긴 시트 이름 '.repeat(4), '기록', '기록', "'따옴표'", ''].map((name, i) => ({ name, part: sheetXml([HEADER, ...dataRows(5).map((r) => [Number(r[0]) + i * 10, ...r.slice(1)])]) })),
      }),
  },
];

// ---------------------------------------------------------------------------------------------
// Talking to the server

interface GqlResult {
  data?: any;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as GqlResult;
}

/** A filename for Content-Disposition the way browsers write it (quotes and line ends escaped). */
const dispositionName = (name: string) => name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** A multipart upload of a file on disk, streamed (http.request: no client timeout on long answers). */
function upload(url: string, mutation: 'createConversion' | 'previewFile', file: string, name: string, options: Record<string, unknown> | null = null): Promise<GqlResult> {
  const fields = mutation === 'createConversion' ? 'id status' : 'sheets { name } notes';
  const boundary = `c2rhostile${Math.random().toString(36).slice(2)}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n` +
    JSON.stringify({ query: `mutation ($file: Upload!, $options: ConversionOptions) { ${mutation}(file: $file, options: $options) { ${fields} } }`, variables: { file: null, options } }) +
    `\r\n--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${dispositionName(name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true' } });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as GqlResult);
        } catch {
          resolve({ errors: [{ message: `HTTP ${res.statusCode}: ${body.slice(0, 300)}`, extensions: { code: `HTTP_${res.statusCode}` } }] });
        }
      });
    });
    req.on('error', reject);
    req.write(head);
    const input = fs.createReadStream(file);
    input.on('error', reject);
    input.on('end', () => req.end(tail));
    input.pipe(req, { end: false });
  });
}

interface Outcome {
  status: string;
  code: string | null;
  message: string | null;
  processedRows?: number;
  downloadUrl?: string | null;
}

/** The server process under test, for the polls to notice when it is gone. */
let serverPid = 0;
const serverGone = () => !fs.existsSync(`/proc/${serverPid}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${serverPid}/status`, 'utf8'));

async function convert(url: string, file: string, name: string, options: Record<string, unknown> | null, timeoutMs: number): Promise<Outcome> {
  const created = await upload(url, 'createConversion', file, name, options).catch((e: Error) => ({ errors: [{ message: `upload failed: ${e.message}`, extensions: { code: 'UPLOAD_FAILED' } }] }) as GqlResult);
  const id = created.data?.createConversion?.id as string | undefined;
  if (!id) return { status: 'REFUSED', code: created.errors?.[0]?.extensions?.code ?? null, message: created.errors?.[0]?.message ?? null };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await gql(url, `query ($id: ID!) { conversion(id: $id) { status error errorCode processedRows downloadUrl } }`, { id }).catch(() => null);
    const c = r?.data?.conversion;
    if (c && ['COMPLETED', 'FAILED', 'CANCELLED'].includes(c.status)) return { status: c.status, code: c.errorCode, message: c.error, processedRows: c.processedRows, downloadUrl: c.downloadUrl };
    if (Date.now() > deadline) return { status: 'TIMEOUT', code: null, message: null };
    if (!c && serverGone()) return { status: 'SERVER_DIED', code: null, message: null };
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** The side conversion: 1,000 rows, CSV output; every id 0..999 exactly once in the download. */
async function sideConversion(url: string, file: string): Promise<string | null> {
  const c = await convert(url, file, 'side.csv', { outputFormat: 'CSV' }, 20 * 60_000);
  if (c.status !== 'COMPLETED') return `${c.status} ${c.code ?? ''} ${c.message ?? ''}`.trim();
  if (!c.downloadUrl) return 'no downloadUrl';
  const res = await fetch(new URL(c.downloadUrl, url));
  if (res.status !== 200) return `download ${res.status}`;
  const lines = (await res.text()).replace(/^\uFEFF/, '').split(/\r?\n/).filter(Boolean).slice(1);
  const ids = new Set(lines.map((l) => Number(l.split(',')[0])));
  const ok = lines.length === 1000 && ids.size === 1000 && [...ids].every((v) => Number.isInteger(v) && v >= 0 && v < 1000);
  return ok ? null : `${lines.length} lines, ${ids.size} distinct ids`;
}

/** What must never reach a user: internal or library text, stacks, paths; and a message must be Korean. */
function messageProblem(message: string | null, dataDir: string): string | null {
  if (!message) return null;
  // Korean first: the first letter outside quotes (sheet and file names) is Hangul.
  const firstLetter = message.replace(/"[^"]*"/g, '').match(/\p{L}/u)?.[0] ?? '';
  if (!/[\uAC00-\uD7A3\u3131-\u318E]/.test(firstLetter)) return 'not Korean first';
  const internal = /Internal error|INTERNAL_SERVER_ERROR|Unexpected error|\n\s+at |\bat \S+ \(|E(MFILE|NOENT|ACCES|NOMEM|PIPE|CONNRESET)\b|Quote Not Closed|undefined entity|Invalid (record|Opening|Closing)|SyntaxError|TypeError|RangeError|ReferenceError|heap out of memory|Maximum call stack|end of central directory|invalid (signature|distance|block type|stored block|code)|unexpected end|Unexpected end|Text data outside|Non-whitespace|incorrect header check|FILE_ENDED|\.(ts|mjs|js|cjs):\d/;
  const m = message.match(internal);
  if (m) return `internal text "${m[0]}"`;
  const p = message.match(/(^|[\s'"(=:])(\/(tmp|home|work|var|usr|root|proc|opt|srv|mnt|data)\/|[A-Z]:\\)/);
  if (p) return `a path "${p[0].trim()}"`;
  if (message.includes(dataDir) || message.includes(os.tmpdir() + path.sep)) return 'a path of the server';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Memory sampling

function statusKb(pid: number, field: string): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids = '';
    try {
      kids = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.split(/\s+/).filter(Boolean).map(Number)) out.push(k, ...descendants(k));
  }
  return out;
}

/** Samples the RSS of the server and its child processes every 100 ms; the peak in bytes. */
function sampleRss(server: ServerProcess): { stop(): number } {
  let peak = 0;
  const tick = () => {
    const total = [server.pid, ...descendants(server.pid)].reduce((s, p) => s + statusKb(p, 'VmRSS'), 0) * 1024;
    peak = Math.max(peak, total);
  };
  tick();
  const timer = setInterval(tick, 100);
  return {
    stop() {
      clearInterval(timer);
      tick();
      // VmHWM since the last reset catches peaks between two samples.
      return Math.max(peak, statusKb(server.pid, 'VmHWM') * 1024);
    },
  };
}

async function alive(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------

interface Row {
  c: Case;
  size: number;
  preview: string;
  outcome: Outcome;
  rss: number;
  side: string | null;
  alive: boolean;
  problems: string[];
}

const human = (n: number) => (n >= 1024 * MB ? `${(n / 1024 / MB).toFixed(1)} GB` : n >= MB ? `${(n / MB).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KB` : `${n} B`);
const cellText = (s: string) => s.replace(/\|/g, '\\|').replace(/[\u0000-\u001f\u007f\u202a-\u202e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

async function main(): Promise<void> {
  const started = new Date();
  const cases = CASES.filter((c) => (!opts.only || c.file.includes(opts.only)) && !(opts.skipLarge && c.large));
  const filesDir = opts.files ? path.resolve(opts.files) : fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-hostile-files-'));
  fs.mkdirSync(filesDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-hostile-tmp-'));
  console.log(`coord2region hostile corpus, ${databaseUrl ? 'PostgreSQL' : 'embedded database'}, ${started.toISOString()}, ${cases.length} files in ${filesDir}`);
  for (const c of cases) {
    const file = path.join(filesDir, c.file);
    if (fs.existsSync(file)) continue;
    const t = Date.now();
    await c.make(`${file}.part`, tmp);
    fs.renameSync(`${file}.part`, file);
    console.log(`  made ${c.file} (${human(fs.statSync(file).size)}, ${Date.now() - t} ms)`);
  }
  const sideFile = path.join(tmp, 'side.csv');
  fs.writeFileSync(sideFile, ['id,x,y', ...Array.from({ length: 1000 }, (_, i) => `${i},${point(i).join(',')}`)].join('\n') + '\n');

  if (databaseUrl) {
    // Jobs left by an interrupted run (their uploads gone with its DATA_DIR) would be claimed first.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`UPDATE conversions SET status = 'CANCELLED', phase = 'DONE', finished_at = now() WHERE status IN ('QUEUED', 'RUNNING')`).catch(() => {});
    await admin.end();
  }
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-hostile-data-'));
  fs.mkdirSync(dataDir, { recursive: true });
  // Two job slots, so that the side conversion runs while the hostile one does.
  const env = { DATA_DIR: dataDir, WORKERS: '2', LOG_LEVEL: process.env.LOG_LEVEL ?? 'error', MAX_UPLOAD_MB: '512' };
  const startServer = async () => {
    const t = Date.now();
    const s = await ServerProcess.start(env);
    serverPid = s.pid;
    console.log(`  server up in ${((Date.now() - t) / 1000).toFixed(1)} s (pid ${s.pid}, grid ${s.grid.state})`);
    return s;
  };
  let server = await startServer();
  const stopOnExit = () => {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {}
  };
  process.on('SIGINT', () => {
    stopOnExit();
    process.exit(130);
  });
  const rows: Row[] = [];
  const slip = path.join(os.tmpdir(), 'c2r-zip-slip.txt');
  fs.rmSync(slip, { force: true });
  try {
    for (const c of cases) {
      const file = path.join(filesDir, c.file);
      const name = c.uploadName ?? c.file;
      const problems: string[] = [];
      server.resetPeak();
      const rss = sampleRss(server);
      let preview = '-';
      if (c.preview !== false && !c.large) {
        const p = await upload(server.url, 'previewFile', file, name).catch((e: Error) => ({ errors: [{ message: e.message, extensions: { code: 'UPLOAD_FAILED' } }] }) as GqlResult);
        if (p.errors?.length) {
          const e = p.errors[0];
          preview = e.extensions?.code ?? 'no code';
          const bad = messageProblem(e.message, dataDir);
          if (bad || !e.extensions?.code || e.extensions.code === 'INTERNAL_SERVER_ERROR') problems.push(`preview: ${e.extensions?.code} ${bad ?? ''} ${e.message.slice(0, 200)}`);
        } else preview = `ok (${p.data?.previewFile?.sheets?.length ?? 0} sheets)`;
      }
      const t = Date.now();
      const [outcome, side] = await Promise.all([
        convert(server.url, file, name, null, 30 * 60_000),
        (async () => {
          await new Promise((r) => setTimeout(r, 300));
          return sideConversion(server.url, sideFile);
        })(),
      ]);
      const seconds = (Date.now() - t) / 1000;
      const peak = rss.stop();
      const isAlive = await alive(server.url);
      const bad = messageProblem(outcome.message, dataDir);
      if (bad) problems.push(`message: ${bad}`);
      if (outcome.status === 'TIMEOUT') problems.push('no answer within 30 min');
      if (outcome.status === 'SERVER_DIED') problems.push('the server died during the conversion');
      if ((outcome.status === 'FAILED' || outcome.status === 'REFUSED') && (!outcome.code || ['INTERNAL_SERVER_ERROR', 'INTERNAL', 'WORKER_CRASHED', 'UPLOAD_FAILED'].includes(outcome.code))) problems.push(`uncoded or internal failure ${outcome.code}`);
      if (c.expect === 'COMPLETED' && outcome.status !== 'COMPLETED') problems.push('should have completed');
      if (c.expect === 'ERROR' && outcome.status === 'COMPLETED') problems.push('should have been refused');
      if (side) problems.push(`side conversion: ${side}`);
      if (peak > RSS_LIMIT) problems.push(`RSS ${human(peak)} over ${human(RSS_LIMIT)}`);
      if (!isAlive) problems.push('server died');
      if (c.file === 'zip-slip.xlsx' && fs.existsSync(slip)) problems.push('zip-slip entry written outside');
      const row: Row = { c, size: fs.statSync(file).size, preview, outcome, rss: peak, side, alive: isAlive, problems };
      rows.push(row);
      const shown = outcome.status === 'COMPLETED' ? `COMPLETED (${outcome.processedRows} rows)` : `${outcome.status} ${outcome.code ?? ''}`;
      console.log(`${problems.length ? 'FAIL' : 'ok  '} ${c.file}: ${shown} in ${seconds.toFixed(1)} s, preview ${preview}, RSS ${human(peak)}, side ${side ?? 'ok'}${problems.length ? `\n       ${problems.join('\n       ')}` : ''}${outcome.message ? `\n       “${outcome.message.slice(0, 160)}”` : ''}`);
      if (!isAlive) {
        await server.stop().catch(() => {});
        server = await startServer();
      }
    }
  } finally {
    await server.stop().catch(stopOnExit);
    if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (!opts.files) fs.rmSync(filesDir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const failed = rows.filter((r) => r.problems.length);
  const maxRss = Math.max(...rows.map((r) => r.rss));
  console.log(`\n### ${databaseUrl ? 'PostgreSQL' : 'Embedded (PGlite)'}: ${rows.length} files, ${rows.length - failed.length} passed; peak server RSS ${human(maxRss)} (limit ${human(RSS_LIMIT)})\n`);
  console.log('| # | 파일 (file) | 크기 | 미리보기 (previewFile) | 결과 (createConversion) | 사용자에게 보인 메시지 (앞부분) | 최대 RSS | 옆 변환 1,000행 | 서버 |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  rows.forEach((r, i) => {
    const name = r.c.uploadName ? `${r.c.file} as \`${cellText(r.c.uploadName.length > 40 ? `${r.c.uploadName.slice(0, 20)}…(${r.c.uploadName.length})` : r.c.uploadName)}\`` : r.c.file;
    const result = r.outcome.status === 'COMPLETED' ? `COMPLETED (${r.outcome.processedRows?.toLocaleString('en-US')}행)` : `${r.outcome.status} \`${r.outcome.code}\``;
    const msg = r.outcome.message ? cellText(r.outcome.message.split(' · ')[0].slice(0, 70)) + (r.outcome.message.length > 70 ? '…' : '') : '';
    console.log(`| ${i + 1} | ${cellText(name)}: ${cellText(r.c.what)} | ${human(r.size)} | ${cellText(r.preview)} | ${result}${r.problems.length ? ' **FAIL**' : ''} | ${msg} | ${human(r.rss)} | ${r.side ? `**${cellText(r.side)}**` : '완료, 1,000행'} | ${r.alive ? '정상' : '**죽음**'} |`);
  });
  if (failed.length) {
    console.log('\nFailures:');
    for (const r of failed) console.log(`- ${r.c.file}: ${r.problems.join('; ')}`);
  }
  console.log(`\n${os.loadavg().map((l) => l.toFixed(2)).join(', ')} load average at the end; ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min`);
  process.exitCode = failed.length ? 1 : 0;
}

await main();
