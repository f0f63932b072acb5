import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import proj4 from 'proj4';
import { IndependentPip } from './independent-pip';
import { FIXTURES } from './server';

/**
 * Files made the way users have them (Korean Excel's CP949 CSV, workbooks with a cover page,
 * TSV with a BOM, projected coordinates, mislabelled columns), each with the answer every row
 * must get. The points are real 행정동 interior points (test/fixtures/inner-centroids-5179.tsv),
 * reprojected by proj4; the expected codes come from an independent point-in-polygon.
 */

proj4.defs('EPSG:5179', '+proj=tmerc +lat_0=38 +lon_0=127.5 +k=0.9996 +x_0=1000000 +y_0=2000000 +ellps=GRS80 +units=m +no_defs');
proj4.defs('EPSG:5186', '+proj=tmerc +lat_0=38 +lon_0=127 +k=1 +x_0=200000 +y_0=600000 +ellps=GRS80 +units=m +no_defs');

export interface KnownPoint {
  name: string;
  /** EPSG:5179 as in the fixture. */
  x5179: number;
  y5179: number;
  lon: number;
  lat: number;
}

/** What one output row must hold: the 읍면동 code, or INVALID. */
export type Expected = { code: string } | { invalid: true };

export interface UserFile {
  name: string;
  content: Buffer;
  /** Output sheet names, in order. */
  sheets: string[];
  /** The converted sheet: where its header is in the output (0-based) and what each data row must get. */
  converted: { sheet: string; headerRow: number; rows: Expected[] };
}

let cachedPoints: KnownPoint[] | null = null;
let pip: IndependentPip | null = null;

function independentPip(): IndependentPip {
  return (pip ??= new IndependentPip());
}

/** Every 20th fixture point that lies clearly inside a polygon (lon/lat rounded to 6 decimals as files hold them). */
export function knownPoints(): KnownPoint[] {
  if (cachedPoints) return cachedPoints;
  const lines = fs.readFileSync(path.join(FIXTURES, 'inner-centroids-5179.tsv'), 'utf8').trim().split(/\r?\n/).slice(1);
  const points: KnownPoint[] = [];
  for (let i = 0; i < lines.length; i += 20) {
    const cells = lines[i].split('\t');
    const [x5179, y5179] = [Number(cells[7]), Number(cells[8])];
    const [lon, lat] = proj4('EPSG:5179', 'EPSG:4326', [x5179, y5179]).map((v) => Number(v.toFixed(6)));
    if (independentPip().codeAt(lon, lat) === null) continue;
    points.push({ name: cells[1], x5179, y5179, lon, lat });
  }
  cachedPoints = points;
  return points;
}

function lonLatCode(p: KnownPoint): Expected {
  return { code: independentPip().codeAt(p.lon, p.lat)! };
}

function projectedCode(p: KnownPoint): Expected {
  const code = independentPip().codeAt(p.x5179, p.y5179, 5179);
  if (code === null) throw new Error(`fixture point ${p.name} lies in no polygon`);
  return { code };
}

/**
 * The old producer's sample format: CP949, CRLF, a space after each comma, the x column headed
 * `주소` and the y column with no header. Two rows have unusable coordinates.
 */
export function producerSampleCsv(): UserFile {
  const points = knownPoints().slice(0, 12);
  const lines = ['회사코드,차량번호,차량ID,날짜,주소,,속도,발생시각'];
  const rows: Expected[] = [];
  points.forEach((p, i) => {
    const company = i === 0 ? '007' : `testse0${i % 10}`;
    lines.push([company, `울산123바${12300 + i}`, `kmsa12c${1200 + i}`, '202404022', p.lon.toFixed(6), p.lat.toFixed(6), String(60 + i), '22-APR-24 10:43:00'].join(', '));
    rows.push(lonLatCode(p));
    if (i === 4) {
      lines.push(['testse99', '울산123바99999', 'kmsa12c9999', '202404022', '', '', '0', '22-APR-24 10:44:00'].join(', '));
      rows.push({ invalid: true });
    }
    if (i === 8) {
      lines.push(['testse98', '울산123바99998', 'kmsa12c9998', '202404022', 'NaN', '36.5', '0', '22-APR-24 10:45:00'].join(', '));
      rows.push({ invalid: true });
    }
  });
  return {
    name: '운행기록.csv',
    content: iconv.encode(lines.join('\r\n') + '\r\n', 'cp949'),
    sheets: ['운행기록'],
    converted: { sheet: '운행기록', headerRow: 0, rows },
  };
}

export const WORKBOOK_DATE = new Date(Date.UTC(2024, 3, 22, 10, 43, 0));

/**
 * A workbook as an office keeps it: a cover page first, the data on the second sheet under a
 * title row and a blank row, headed 경도/위도, with text codes with leading zeros, dates and a
 * formula; a third sheet with other data. One row has an unusable latitude.
 */
export async function coverPageWorkbook(): Promise<UserFile> {
  const wb = new ExcelJS.Workbook();
  const cover = wb.addWorksheet('표지');
  cover.addRow(['차량 위치 보고서']);
  cover.addRow([]);
  cover.addRow(['작성일', WORKBOOK_DATE]);
  cover.addRow(['작성자', '홍길동']);
  cover.addRow(['자료는 두 번째 시트에 있습니다.']);

  const data = wb.addWorksheet('운행기록');
  data.addRow(['2024년 4월 차량 위치']);
  data.addRow([]);
  data.addRow(['번호', '코드', '일시', '경도', '위도', '속도', '속도x2']);
  const rows: Expected[] = [];
  knownPoints().slice(12, 24).forEach((p, i) => {
    const n = data.rowCount + 1;
    const lat: number | string = i === 3 ? 'N/A' : p.lat;
    data.addRow([i + 1, String(i + 1).padStart(3, '0'), new Date(WORKBOOK_DATE.getTime() + i * 60_000), p.lon, lat, 50 + i, { formula: `F${n}*2`, result: (50 + i) * 2 }]);
    rows.push(i === 3 ? { invalid: true } : lonLatCode(p));
  });
  data.getColumn(3).numFmt = 'yyyy-mm-dd hh:mm';

  const vehicles = wb.addWorksheet('차량목록');
  vehicles.addRow(['차량번호', '차종', '연식']);
  vehicles.addRow(['울산123바12321', '화물', 2019]);
  vehicles.addRow(['울산123바12322', '승용', 2021]);

  return {
    name: '차량위치.xlsx',
    content: Buffer.from(await wb.xlsx.writeBuffer()),
    sheets: ['표지', '운행기록', '차량목록'],
    converted: { sheet: '운행기록', headerRow: 2, rows },
  };
}

/** TSV in UTF-8 with a BOM, LF line ends, latitude before longitude under their Korean names. */
export function bomTsv(): UserFile {
  const points = knownPoints().slice(24, 32);
  const lines = ['이름\t위도\t경도', ...points.map((p) => `${p.name}\t${p.lat}\t${p.lon}`)];
  return {
    name: '지점.tsv',
    content: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\n') + '\n', 'utf8')]),
    sheets: ['지점'],
    converted: { sheet: '지점', headerRow: 0, rows: points.map(lonLatCode) },
  };
}

/** EPSG:5179 under X좌표/Y좌표, UTF-8 without BOM, names quoted with commas and quotes in them. */
export function unifiedCsCsv(): UserFile {
  const points = knownPoints().slice(0, 10);
  const lines = ['지점명,X좌표,Y좌표', ...points.map((p, i) => `"${p.name}, ${i === 0 ? '""본점""' : '지점'}",${p.x5179},${p.y5179}`)];
  lines.push('"좌표 없음",abc,1952800');
  return {
    name: '지점-5179.csv',
    content: Buffer.from(lines.join('\n') + '\n', 'utf8'),
    sheets: ['지점-5179'],
    converted: { sheet: '지점-5179', headerRow: 0, rows: [...points.map(projectedCode), { invalid: true }] },
  };
}

/** Headed id,lon,lat but the lon column holds latitudes and the lat column longitudes. */
export function swappedCsv(): UserFile {
  const points = knownPoints().slice(32, 40);
  const lines = ['id,lon,lat', ...points.map((p, i) => `${i + 1},${p.lat},${p.lon}`)];
  return {
    name: 'swapped.csv',
    content: Buffer.from(lines.join('\n') + '\n', 'utf8'),
    sheets: ['swapped'],
    converted: { sheet: 'swapped', headerRow: 0, rows: points.map(lonLatCode) },
  };
}

/** Points around Seoul in EPSG:5186 (Central Belt 2010): x ≈ 200 000, y ≈ 450 000–600 000, which 5174 and other belts share. */
export function centralBeltCsv(): UserFile {
  const points = knownPoints().filter((p) => p.lon > 126.5 && p.lon < 127.5 && p.lat > 36.5 && p.lat < 38).slice(0, 8);
  const lines = ['측점,x,y'];
  for (const p of points) {
    const [x, y] = proj4('EPSG:4326', 'EPSG:5186', [p.lon, p.lat]).map((v) => Number(v.toFixed(2)));
    lines.push(`${p.name},${x},${y}`);
  }
  return {
    name: '측량.csv',
    content: Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'),
    sheets: ['측량'],
    converted: { sheet: '측량', headerRow: 0, rows: points.map(lonLatCode) },
  };
}
