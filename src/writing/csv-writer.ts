import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify, type Stringifier } from 'csv-stringify';
import type { CellValue, Row } from '../reading/table-source';
import type { OutputWriter, SheetStart } from './output-writer';

/**
 * CSV output: UTF-8 with a BOM (so Excel opens Korean text right), CRLF line ends. Text that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`.
 * A CSV file has one table: when several sheets are converted, a leading `시트` column says which
 * sheet each row came from; sheets without coordinates are left out.
 */
export class CsvOutputWriter implements OutputWriter {
  private readonly stringifier: Stringifier;
  private readonly done: Promise<void>;
  private headerWritten = false;
  private currentSheet: string | null = null;
  private baseColumns = 0;

  constructor(
    /** Where the file goes (a stream into storage, which stores it once it ends). */
    private readonly out: Writable,
    private readonly multiSheet: boolean,
  ) {
    this.stringifier = stringify({ bom: true, record_delimiter: 'windows', cast: { date: (d) => d.toISOString() } });
    this.stringifier.pipe(out);
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
      for (const row of start.leadingRows) this.push(row, '');
      this.push([...start.header, ...new Array(this.baseColumns - start.header.length).fill(''), ...start.appendedHeader], '시트');
      this.headerWritten = true;
    }
  }

  writeRow(values: Row, appended: CellValue[] | null): void {
    if (this.currentSheet === null || !appended) return;
    const padded = values.length >= this.baseColumns ? values : values.concat(new Array(this.baseColumns - values.length).fill(null));
    this.push([...padded, ...appended], this.currentSheet);
  }

  private push(row: Row, sheetCell: string): void {
    const cells = row.map(neutralizeFormula);
    // The sheet name is text from the file like any cell: a name such as =HYPERLINK(…) must not run either.
    this.stringifier.write(this.multiSheet ? [neutralizeFormula(sheetCell), ...cells] : cells);
  }

  /** Resolves once the rows so far are taken by the output (backpressure); rejects when the output failed. */
  async drained(): Promise<void> {
    if (this.stringifier.writableNeedDrain) await Promise.race([once(this.stringifier, 'drain'), this.done]);
  }

  async endSheet(): Promise<void> {}

  async finish(): Promise<void> {
    this.stringifier.end();
    await this.done;
  }

  async abort(): Promise<void> {
    this.stringifier.destroy();
    this.out.destroy();
  }
}

export function neutralizeFormula(value: CellValue): CellValue {
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(value) && !/^[+-]?\d+(\.\d+)?$/.test(value)) return `'${value}`;
  return value;
}
