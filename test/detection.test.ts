import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeCrs } from '../src/detection/crs-verdict';
import { detectSheetLayout } from '../src/detection/sheet-layout';
import { detectDelimiter } from '../src/reading/csv-source';
import { detectEncodingOf } from '../src/reading/encoding';
import iconv from 'iconv-lite';
import type { Row } from '../src/reading/table-source';

const csv = (text: string): Row[] => text.trim().split('\n').map((l) => l.split(','));

/** The detection rules on small tables, without a server: each case is a shape real files have. */
describe('layout detection', () => {
  test('a table that starts with data, in (lat, lon) order, is found by its values', () => {
    const layout = detectSheetLayout('s', csv('37.5729,126.9769,a\n35.1796,129.0756,b\n36.35,127.38,c'), {});
    assert.deepEqual([layout.headerRow, layout.xIndex, layout.yIndex, layout.srid, layout.foundBy, layout.swapped], [-1, 1, 0, 4326, 'VALUES', true]);
  });

  test('numbers that are not coordinates are not taken for them', () => {
    const layout = detectSheetLayout('s', csv('번호,속도,연식\n1,81,2019\n2,90,2021\n3,35,2020'), {});
    assert.equal(layout.xIndex, null);
    assert.match(layout.notes[0], /좌표 열이 없어/);
  });

  test('a header below title rows and above a units-free blank row', () => {
    const rows: Row[] = [['보고서'], ['작성일', '2024-04-22'], [], ['지점', '경도', '위도'], ['a', 126.97, 37.57], ['b', 129.07, 35.18]];
    const layout = detectSheetLayout('s', rows, {});
    assert.deepEqual([layout.headerRow, layout.xIndex, layout.yIndex, layout.foundBy], [3, 1, 2, 'HEADER']);
  });

  test('a header by values: the nearest header-like row above the first coordinates', () => {
    const rows: Row[] = [['차량 위치'], ['작성', '홍길동'], ['차량', '위치A', '위치B'], ['a', ' 126.97', ' 37.57'], ['b', '129.07', '35.18']];
    const layout = detectSheetLayout('s', rows, {});
    assert.deepEqual([layout.headerRow, layout.xIndex, layout.yIndex, layout.foundBy], [2, 1, 2, 'VALUES']);
  });

  test('xColumn/yColumn by letter, and explicit columns are kept even when the values look swapped', () => {
    const layout = detectSheetLayout('s', csv('a,b,c\n1,37.57,126.97\n2,35.18,129.07'), { xColumn: 'B', yColumn: 'C', srid: 4326 });
    assert.deepEqual([layout.headerRow, layout.xIndex, layout.yIndex, layout.swapped], [0, 1, 2, false]);
    assert.ok(layout.notes.some((n) => /\(y, x\) 순서로 보입니다/.test(n)));
  });

  test('CRS: lon/lat, 5179, UTM 52N recognised; TM belts ambiguous; a few bad rows do not change the verdict', () => {
    const kind = (points: [number, number][]) => {
      const v = judgeCrs(points, { minShare: 0.5, allowSwap: true });
      return v.kind === 'known' ? [v.candidate.srid, v.swapped] : v.kind === 'ambiguous' ? v.candidates.map((c) => c.srid) : v.kind;
    };
    assert.deepEqual(kind([[126.97, 37.57], [500, 37.5], [129.3, 35]]), [4326, false]);
    assert.deepEqual(kind([[1952800, 953277]]), [5179, true]);
    assert.deepEqual(kind([[322000, 4160000]]), [32652, false]);
    assert.deepEqual(kind([[198000, 552000]]), [5186, 5174, 5181, 5185, 5187, 5188]);
    assert.equal(kind([[81, 36.9]]), 'unknown');
  });

  test('ambiguous coordinates throw a message naming the candidates and the srid option', () => {
    assert.throws(
      () => detectSheetLayout('측량', csv('x,y\n198000.5,552000.25\n201000,451000'), {}),
      (err: Error & { code?: string }) => err.code === 'AMBIGUOUS_SRID' && /EPSG:5186 .*EPSG:5174 .*set the srid option/.test(err.message),
    );
    const given = detectSheetLayout('측량', csv('x,y\n198000.5,552000.25'), { srid: 5174 });
    assert.equal(given.srid, 5174);
  });
});

describe('CSV sniffing', () => {
  test('CP949 without BOM, UTF-8 with and without BOM', () => {
    assert.equal(detectEncodingOf(iconv.encode('회사코드,차량번호,주소\r\ntestse01, 울산123바12321, 127.37\r\n', 'cp949')).encoding, 'cp949');
    assert.deepEqual(detectEncodingOf(Buffer.from('\ufeff이름\t위도', 'utf8')), { encoding: 'utf-8', bom: true });
    assert.deepEqual(detectEncodingOf(Buffer.from('이름,위도', 'utf8')), { encoding: 'utf-8', bom: false });
  });

  test('delimiters: comma with spaces, tab, semicolon; quoted delimiters ignored', () => {
    assert.equal(detectDelimiter('a, b, c\r\n1, 2, 3\r\n'), ',');
    assert.equal(detectDelimiter('이름\t위도\t경도\na\t1\t2\n'), '\t');
    assert.equal(detectDelimiter('a;b;c\n"1,5";2;3\n'), ';');
  });
});
