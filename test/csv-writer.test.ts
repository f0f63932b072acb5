import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { RowBatch } from '../src/reading/row-batches';
import type { CellValue, Row } from '../src/reading/table-source';
import { trimCoordinates } from '../src/writing/cell-values';
import { CsvOutputWriter } from '../src/writing/csv-writer';
import type { AppendedCells } from '../src/writing/output-writer';

async function written(write: (writer: CsvOutputWriter) => void, multiSheet: boolean): Promise<string> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  const writer = new CsvOutputWriter(out, multiSheet);
  writer.startSheet({ name: '=시트', leadingRows: [], header: ['x', 'y', 'memo'], appendedHeader: ['시도', '결과', '비고'], sample: [] });
  write(writer);
  await writer.finish();
  return Buffer.concat(parts).toString('utf8');
}

test('CSV rows written from a batch with shared appended cells are the rows written one by one', async () => {
  const rows: Row[] = [
    [' 126.9 ', '37.5', 'a,b'],
    ['127', '37'],
    [],
    ['=cmd', '"q"', '\n', 'extra'],
    ['126', '36', ''],
  ];
  // Rows 0, 2 and 4 share key 8 (the same values); row 1 has a note (no key); row 3 another key.
  const appended: CellValue[][] = [['서울특별시', '정상', null], ['부산광역시', '근접', '경계에서 12 m'], ['서울특별시', '정상', null], ['-1', '정상', null], ['서울특별시', '정상', null]];
  const keys = [8, null, 8, 9, 8];
  let valuesAsked = 0;
  const cells: AppendedCells = {
    values: (k) => {
      valuesAsked++;
      return appended[k]!.slice();
    },
    key: (k) => keys[k]!,
  };
  const coordinates = { xIndex: 0, yIndex: 1 };
  for (const multiSheet of [false, true]) {
    const batched = await written((w) => w.writeRows(RowBatch.of(rows), 0, rows.length, cells, coordinates), multiSheet);
    const oneByOne = await written((w) => rows.forEach((r, i) => w.writeRow(trimCoordinates(r, coordinates), appended[i]!)), multiSheet);
    assert.equal(batched, oneByOne);
  }
  // Key 8's cells were encoded once per writer, not once per row.
  assert.equal(valuesAsked, 2 * 3);
});
