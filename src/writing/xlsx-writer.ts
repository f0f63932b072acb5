import { once } from 'node:events';
import fs from 'node:fs/promises';
import type { Writable } from 'node:stream';

type LegacyWritable = Writable & { _writableState?: { needDrain?: boolean } };
import ExcelJS from 'exceljs';
import type { CellValue, Row } from '../reading/table-source';
import { displayWidth } from './cell-values';
import type { OutputWriter, SheetStart } from './output-writer';

const MIN_WIDTH = 6;
const MAX_WIDTH = 60;

/**
 * Streams the output workbook with exceljs's streaming writer: each row is committed to the file
 * as it is written, so memory does not grow with the number of rows. Every output sheet has a bold,
 * frozen header with an autofilter and columns sized from the header and the first rows.
 */
export class XlsxOutputWriter implements OutputWriter {
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private sheet: ExcelJS.Worksheet | null = null;
  /** Where the appended columns start: the wider of the header and the sampled rows. */
  private baseColumns = 0;

  constructor(
    private readonly tempPath: string,
    private readonly finalPath: string,
  ) {
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      filename: tempPath,
      useStyles: true,
      useSharedStrings: false,
      // Deflate was the slowest step of the write (level 6 by default): level 1 is several
      // times faster for a file a little larger, and the sheet XML compresses well either way.
      zip: { zlib: { level: 1 } },
    });
  }

  startSheet(start: SheetStart): void {
    const headerRowNumber = start.leadingRows.length + 1;
    this.baseColumns = Math.max(start.header?.length ?? 0, ...start.sample.map((r) => r.length));
    const header = start.header ? [...padTo(start.header, this.baseColumns, ''), ...start.appendedHeader] : null;
    const sheet = this.workbook.addWorksheet(start.name, {
      views: header ? [{ state: 'frozen', ySplit: headerRowNumber }] : [],
    });
    sheet.columns = columnWidths(header ?? [], start.sample).map((width) => ({ width }));
    for (const row of start.leadingRows) sheet.addRow(row).commit();
    if (header) {
      const row = sheet.addRow(header);
      row.font = { bold: true };
      row.commit();
      sheet.autoFilter = { from: { row: headerRowNumber, column: 1 }, to: { row: headerRowNumber, column: Math.max(header.length, 1) } };
    }
    this.sheet = sheet;
  }

  writeRow(values: Row, appended: CellValue[] | null): void {
    if (!this.sheet) throw new Error('writeRow before startSheet');
    this.sheet.addRow(appended ? padTo(values, this.baseColumns, null).concat(appended) : values).commit();
  }

  /**
   * exceljs ignores backpressure: a sheet's buffer hands each full 64 KB block to the zip stream
   * without looking at write()'s answer, so when deflate falls behind the rows pile up in memory
   * (800 MB for a million rows). Waiting here for the zip stream to drain keeps memory flat.
   * `_stream.pipes` is exceljs's internal StreamBuf; if a version renames it, this waits for nothing.
   */
  async drained(): Promise<void> {
    const internal = this.sheet as unknown as { _stream?: { pipes?: LegacyWritable[] } } | null;
    for (const pipe of internal?._stream?.pipes ?? []) {
      // archiver hands exceljs a readable-stream PassThrough, which predates writableNeedDrain.
      if (pipe.writableNeedDrain ?? pipe._writableState?.needDrain) await once(pipe, 'drain');
    }
  }

  async endSheet(): Promise<void> {
    this.sheet?.commit();
    this.sheet = null;
  }

  async finish(): Promise<void> {
    await this.workbook.commit();
    await fs.rename(this.tempPath, this.finalPath);
  }

  async abort(): Promise<void> {
    await fs.rm(this.tempPath, { force: true });
  }
}

/** Appended columns must line up even when a data row is shorter than its header. */
function padTo<T>(values: T[], length: number, filler: T): T[] {
  if (values.length >= length) return values;
  return values.concat(new Array<T>(length - values.length).fill(filler));
}

function columnWidths(header: string[], sample: Row[]): number[] {
  const count = Math.max(header.length, ...sample.map((r) => r.length));
  const widths: number[] = [];
  for (let i = 0; i < count; i++) {
    let w = displayWidth(header[i] ?? null) + 2; // room for the autofilter button
    for (const row of sample) w = Math.max(w, displayWidth(row[i] ?? null));
    widths.push(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, w + 1)));
  }
  return widths;
}
