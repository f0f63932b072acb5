import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchedRows, RowBatch, RowPacker, unpackRows } from '../src/reading/row-batches';
import type { Row } from '../src/reading/table-source';

const when = new Date('2024-03-01T09:30:00Z');
const rows: Row[] = [
  ['id', 'x', 'y', '메모'],
  ['1', ' 126.97 ', '37.57', '서울 "시청"'],
  [2, 127.5, 36.5, null, true],
  [],
  ['', '', false, when],
  ['긴 메모 '.repeat(50), '127', '37', '끝'],
];

test('a packed batch gives every cell, row and slice as the rows it was packed from', () => {
  const batch = RowBatch.of(rows);
  assert.equal(batch.length, rows.length);
  assert.deepEqual(Array.from({ length: batch.length }, (_, i) => batch.row(i)), rows);
  assert.deepEqual(unpackRows(batch.packed), rows);
  for (let i = 0; i < rows.length; i++) {
    assert.equal(batch.width(i), rows[i].length);
    for (let c = 0; c < 6; c++) assert.deepEqual(batch.cell(i, c), rows[i][c] ?? null, `row ${i} cell ${c}`);
  }
  const middle = batch.slice(1, 5);
  assert.deepEqual(Array.from({ length: middle.length }, (_, i) => middle.row(i)), rows.slice(1, 5));
  assert.equal(batch.chars(1, 2), (rows[1] as string[]).join('').length);
  assert.equal(batch.chars(), rows.flat().reduce<number>((n, v) => n + (typeof v === 'string' ? v.length : 0), 0));
});

test('batches joined as one chunk read across their boundaries, and cut anywhere', () => {
  const packer = new RowPacker(2, Infinity);
  const batches: RowBatch[] = [];
  for (const row of rows) {
    packer.add(row);
    if (packer.full) batches.push(new RowBatch(packer.take()));
  }
  if (packer.size > 0) batches.push(new RowBatch(packer.take()));
  assert.equal(batches.length, 3);
  const chunk = new BatchedRows(batches);
  assert.equal(chunk.length, rows.length);
  // Out of order too: the batch of the latest row is only a guess.
  for (const i of [5, 0, 3, 1, 4, 2]) assert.deepEqual(chunk.row(i), rows[i]);
  assert.equal(chunk.cell(4, 3) instanceof Date, true);
  assert.equal(chunk.cell(1, 1), ' 126.97 ');
  for (let from = 0; from <= rows.length; from++) {
    for (let to = from; to <= rows.length; to++) {
      const part = chunk.slice(from, to);
      assert.deepEqual(Array.from({ length: part.length }, (_, i) => part.row(i)), rows.slice(from, to), `${from}..${to}`);
      const seen: number[] = [];
      chunk.forEachPart(from, to, (batch, start, end, first) => {
        for (let k = start; k < end; k++) assert.deepEqual(batch.row(k), rows[first + k - start]);
        seen.push(end - start);
      });
      assert.equal(seen.reduce((a, b) => a + b, 0), to - from);
    }
  }
});
