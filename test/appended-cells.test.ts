import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { RowBatch } from '../src/reading/row-batches';
import type { CellValue, Row } from '../src/reading/table-source';
import { trimCoordinates } from '../src/writing/cell-values';
import JSZip from 'jszip';
import { CsvOutputWriter } from '../src/writing/csv-writer';
import type { AppendedCells, OutputWriter } from '../src/writing/output-writer';
import { XlsxOutputWriter } from '../src/writing/xlsx-writer';

/** What a writer made of the rows: a CSV file's text, or an XLSX file's worksheets. */
async function written(make: (out: PassThrough) => OutputWriter, write: (writer: OutputWriter) => void): Promise<string> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  const writer = make(out);
  writer.startSheet({ name: '=시트', leadingRows: [], header: ['x', 'y', 'memo'], appendedHeader: ['시도', '결과', '비고'], sample: [] });
  write(writer);
  await writer.finish();
  const bytes = Buffer.concat(parts);
  if (bytes[0] !== 0x50) return bytes.toString('utf8');
  const zip = await JSZip.loadAsync(bytes);
  const sheets = Object.keys(zip.files).filter((n) => n.startsWith('xl/worksheets/')).sort();
  return (await Promise.all(sheets.map((n) => zip.file(n)!.async('string')))).join('\n');
}

test('rows written from a batch with appended cells by key are the rows written one by one (CSV and XLSX)', async () => {
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
  const writers: ((out: PassThrough) => OutputWriter)[] = [
    (out) => new CsvOutputWriter(out, false),
    (out) => new CsvOutputWriter(out, true),
    (out) => new XlsxOutputWriter(out, 1_048_576, true),
    // Two rows to a sheet: the rows go on in new sheets, their cells as on the first.
    (out) => new XlsxOutputWriter(out, 2, false),
  ];
  for (const make of writers) {
    valuesAsked = 0;
    const batched = await written(make, (w) => w.writeRows(RowBatch.of(rows), 0, rows.length, cells, coordinates));
    // The CSV writer encodes key 8's cells once, not once per row.
    if (make === writers[0] || make === writers[1]) assert.equal(valuesAsked, 3);
    const oneByOne = await written(make, (w) => rows.forEach((r, i) => w.writeRow(trimCoordinates(r, coordinates), appended[i]!)));
    assert.ok(batched.length > 100);
    assert.equal(batched, oneByOne);
  }
});
