import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { CellValue, Row } from '../reading/table-source';
import type { RowBatch } from '../reading/row-batches';
import type { AppendedCells, CoordinateCells, OutputWriter, SheetStart } from './output-writer';
import { Utf8Blocks } from './utf8-blocks';

const BOM = '\uFEFF';
/**
 * Appended cells kept encoded (see writeRows), at most this many: a boundary and a result each,
 * a few thousand in a real file.
 */
const ENCODED_LIMIT = 65_536;

/**
 * CSV output: UTF-8 with a BOM (so Excel opens Korean text right), CRLF line ends. Text that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`.
 * A CSV file has one table: when several sheets are converted, a leading `시트` column says which
 * sheet each row came from; sheets without coordinates are left out.
 *
 * Lines are written by hand (RFC 4180 quoting, as csv-stringify does it with these options)
 * rather than by csv-stringify: on 200,000 bench rows its per-field option handling and
 * per-record stream pushes took 2.2–3.1 s of CPU for the write phase, this 0.8–1.1 s.
 */
export class CsvOutputWriter implements OutputWriter {
  private readonly blocks: Utf8Blocks;
  private readonly done: Promise<void>;
  private headerWritten = false;
  private currentSheet: string | null = null;
  private baseColumns = 0;
  /** The appended cells' CSV text by AppendedCells.key, each cell with the comma before it. */
  private readonly encoded = new Map<number, string>();

  constructor(
    /** Where the file goes (a stream into storage, which stores it once it ends). */
    private readonly out: Writable,
    private readonly multiSheet: boolean,
  ) {
    this.blocks = new Utf8Blocks((block) => out.write(block));
    this.blocks.write(BOM);
    this.done = finished(out, { readable: false });
    // Until finish() or drained() awaits it, a failure must not count as unhandled.
    this.done.catch(() => {});
  }

  startSheet(start: SheetStart): void {
    if (!start.header) {
      this.currentSheet = null; // copied-through sheets have no place in a single CSV table
      return;
    }
    this.currentSheet = start.name;
    this.baseColumns = Math.max(start.header.length, ...start.sample.map((r) => r.length));
    if (!this.headerWritten) {
      for (const row of start.leadingRows) this.push(row, null, '');
      this.push(start.header, start.appendedHeader, '시트');
      this.headerWritten = true;
    }
  }

  writeRow(values: Row, appended: CellValue[] | null): void {
    if (this.currentSheet === null || !appended) return;
    this.push(values, appended, this.currentSheet);
  }

  /**
   * Cells straight from the batch, the coordinates trimmed as trimCoordinates does, rather than
   * writeRowsOneByOne's row array per row: that was 2.5% slower at 1,000,000 rows → CSV (11.97 /
   * 12.09 s against 11.68 / 11.78 s, interleaved) and 20 MB more at the peak.
   */
  writeRows(rows: RowBatch, from: number, to: number, appended: AppendedCells, { xIndex, yIndex }: CoordinateCells): void {
    if (this.currentSheet === null) return;
    const sheetCell = this.multiSheet ? csvField(this.currentSheet) : null;
    for (let i = from; i < to; i++) {
      let line = '';
      let cells = 0;
      if (sheetCell !== null) {
        line = sheetCell;
        cells = 1;
      }
      const width = rows.width(i);
      for (let c = 0; c < width; c++) {
        if (cells++ > 0) line += ',';
        let value = rows.cell(i, c);
        if ((c === xIndex || c === yIndex) && typeof value === 'string') value = value.trim();
        line += csvField(value);
      }
      const key = appended.key(i - from);
      let text = key === null ? undefined : this.encoded.get(key);
      if (text === undefined) {
        // The appended cells of most rows are one of a few thousand (a boundary and a result):
        // encoded once and kept, rather than an array of values and their quoting per row
        // (1,000,000 rows → CSV: 5.43 / 5.54 → 4.84 / 5.27 s, interleaved).
        text = appendedText(appended.values(i - from));
        if (key !== null && this.encoded.size < ENCODED_LIMIT) this.encoded.set(key, text);
      }
      this.blocks.write(this.withAppended(line, cells, width, text) + '\r\n');
    }
  }

  /** One line: [시트,] the row's cells, padded to the header when appended cells follow, then those. */
  private push(values: Row, appended: CellValue[] | null, sheetCell: string): void {
    let line = '';
    let cells = 0;
    // The sheet name is text from the file like any cell: a name such as =HYPERLINK(…) must not run either.
    if (this.multiSheet) {
      line = csvField(sheetCell);
      cells = 1;
    }
    for (let i = 0; i < values.length; i++) {
      if (cells++ > 0) line += ',';
      line += csvField(values[i]);
    }
    this.blocks.write((appended ? this.withAppended(line, cells, values.length, appendedText(appended)) : line) + '\r\n');
  }

  /**
   * The line so far (`cells` cells, `width` of them the row's own), padded to the header, then
   * the appended cells (appendedText: each with the comma before it, dropped on an empty line).
   */
  private withAppended(line: string, cells: number, width: number, appended: string): string {
    for (let i = width; i < this.baseColumns; i++) if (cells++ > 0) line += ',';
    return cells > 0 ? line + appended : appended.slice(1);
  }

  /** Resolves once the rows so far are taken by the output (backpressure); rejects when the output failed. */
  async drained(): Promise<void> {
    if (this.out.writableNeedDrain) await Promise.race([once(this.out, 'drain'), this.done]);
  }

  async endSheet(): Promise<void> {}

  async finish(): Promise<void> {
    this.blocks.flush();
    this.out.end();
    await this.done;
  }

  async abort(): Promise<void> {
    this.out.destroy();
  }
}

/** Appended cells as CSV text, each with the comma before it. */
function appendedText(values: CellValue[]): string {
  let text = '';
  for (let k = 0; k < values.length; k++) text += ',' + csvField(values[k]);
  return text;
}

/** A field as csv-stringify writes it here: quoted when it holds `"`, `,`, CR or LF; dates in ISO 8601; true as 1, false empty. */
function csvField(value: CellValue | undefined): string {
  if (value === null || value === undefined || value === false) return '';
  if (value === true) return '1';
  if (typeof value === 'number') return String(value);
  const text = value instanceof Date ? value.toISOString() : (neutralizeFormula(value) as string);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */ || c === 44 /* , */ || c === 10 || c === 13) return `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}

export function neutralizeFormula(value: CellValue): CellValue {
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(value) && !/^[+-]?\d+(\.\d+)?$/.test(value)) return `'${value}`;
  return value;
}
