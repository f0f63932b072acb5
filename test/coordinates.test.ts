import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readChunkCoordinates, readPoint } from '../src/detection/coordinates';
import { listRows } from '../src/reading/table-source';

test('plain numbers and number text are read as they are', () => {
  assert.deepEqual(readPoint('127.008439', '37.682737', 4326), { x: 127.008439, y: 37.682737, invalidReason: null });
  assert.deepEqual(readPoint(127.5, 36, 4326), { x: 127.5, y: 36, invalidReason: null });
  assert.deepEqual(readPoint('+127', '.5e1', 4326), { x: 127, y: 5, invalidReason: null });
  assert.deepEqual(readPoint('953000.25', '1952000', 5179), { x: 953000.25, y: 1952000, invalidReason: null });
});

test('padded text is trimmed, as exports pad values', () => {
  assert.deepEqual(readPoint(' 127.37', '36.96 ', 4326), { x: 127.37, y: 36.96, invalidReason: null });
  assert.deepEqual(readPoint('\t127.37\t', ' 36.96', 4326), { x: 127.37, y: 36.96, invalidReason: null });
});

test('unusable cells are INVALID with a reason that names each problem', () => {
  assert.deepEqual(readPoint('', null, 4326), { x: null, y: null, invalidReason: 'x empty; y empty' });
  assert.deepEqual(readPoint('12a', '37', 4326), { x: null, y: null, invalidReason: 'x "12a" is not a number' });
  assert.deepEqual(readPoint('127', '1.2.3', 4326), { x: null, y: null, invalidReason: 'y "1.2.3" is not a number' });
  assert.deepEqual(readPoint('0x7f', '37', 4326), { x: null, y: null, invalidReason: 'x "0x7f" is not a number' });
  assert.deepEqual(readPoint('1e400', '37', 4326), { x: null, y: null, invalidReason: 'x "1e400" is not a finite number' });
  assert.deepEqual(readPoint(Infinity, 37, 4326), { x: null, y: null, invalidReason: 'x Infinity is not a finite number' });
  assert.deepEqual(readPoint(true, 37, 4326), { x: null, y: null, invalidReason: 'x true is not a number' });
});

test('longitude and latitude are range-checked in EPSG:4326 only', () => {
  assert.deepEqual(readPoint('180.5', '-91', 4326), {
    x: null,
    y: null,
    invalidReason: 'longitude 180.5 is outside ±180; latitude -91 is outside ±90',
  });
  assert.deepEqual(readPoint('-180', '90', 4326), { x: -180, y: 90, invalidReason: null });
  assert.deepEqual(readPoint('180.5', '-91', 5179), { x: 180.5, y: -91, invalidReason: null });
});

test('a chunk is read column-wise exactly as its rows are read one by one', () => {
  const cells: [unknown, unknown][] = [
    ['127.008439', '37.682737'], [' 127.37', '36.96 '], ['', null], ['12a', '37'], ['1e400', '37'],
    [127.5, 36], ['180.5', '-91'], [true, 37], ['-180', '90'], ['.5e1', '+35'],
  ];
  const rows = cells.map(([x, y]) => ['id', x, y] as (string | number | boolean | null)[]);
  for (const srid of [4326, 5179]) {
    const chunk = readChunkCoordinates(listRows(rows), 1, 2, srid);
    rows.forEach((row, i) => {
      const one = readPoint(row[1], row[2], srid);
      if (one.invalidReason === null) {
        assert.equal(chunk.invalidReasons.has(i), false, `row ${i}`);
        assert.deepEqual([chunk.xs[i], chunk.ys[i]], [one.x, one.y], `row ${i}`);
      } else assert.equal(chunk.invalidReasons.get(i), one.invalidReason, `row ${i}`);
    });
  }
  assert.equal(readChunkCoordinates(listRows(rows), 1, 2, 4326).invalidReasons.size, 5);
});
