import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolygonBoxes } from '../src/boundaries/polygon-boxes';
import { seededRandom } from '../bench/generate-csv';

test('the polygons whose box holds a point: the same as testing every box', () => {
  const random = seededRandom(11);
  const rows = Array.from({ length: 2_000 }, (_, k) => {
    // Small boxes like a city's 동, and a few large ones spanning many buckets.
    const w = random() < 0.05 ? random() * 0.8 : random() * 0.03;
    const h = random() < 0.05 ? random() * 0.8 : random() * 0.03;
    const xmin = 125 + random() * 5;
    const ymin = 33 + random() * 5;
    return { id: 10_000 - k, xmin, ymin, xmax: xmin + w, ymax: ymin + h };
  });
  const boxes = PolygonBoxes.fromRows(rows);
  for (let round = 0; round < 20; round++) {
    const n = 1 + Math.floor(random() * 300);
    const xs = Float64Array.from({ length: n }, () => 124.9 + random() * 5.2);
    const ys = Float64Array.from({ length: n }, () => 32.9 + random() * 5.2);
    const expected = rows
      .filter((r) => xs.some((x, p) => x >= r.xmin && x <= r.xmax && ys[p] >= r.ymin && ys[p] <= r.ymax))
      .map((r) => r.id)
      .sort((a, b) => a - b);
    assert.deepEqual(boxes.holdingAny(xs, ys), expected);
  }
});

test('a point on a box edge or corner counts, one just outside does not', () => {
  const boxes = PolygonBoxes.fromRows([{ id: 7, xmin: 127, ymin: 37.5, xmax: 127.0625, ymax: 37.5625 }]);
  const at = (x: number, y: number) => boxes.holdingAny(Float64Array.of(x), Float64Array.of(y));
  assert.deepEqual(at(127, 37.5), [7]);
  assert.deepEqual(at(127.0625, 37.5625), [7]);
  assert.deepEqual(at(127.03, 37.5625), [7]);
  assert.deepEqual(at(127.0625 + 1e-12, 37.53), []);
  assert.deepEqual(at(127.03, 37.5 - 1e-12), []);
  assert.deepEqual(at(Number.NaN, 37.53), []);
});
