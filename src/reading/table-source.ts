import type { RowBatch } from './row-batches';

/** A cell as read from any input: CSV gives strings, XLSX gives typed values. */
export type CellValue = string | number | boolean | Date | null;
export type Row = CellValue[];

/** A chunk's rows, read cell by cell (a RowBatch keeps them packed; listRows wraps plain rows). */
export interface ChunkRows {
  readonly length: number;
  /** Cell `column` of row i; null past the row's end. */
  cell(i: number, column: number): CellValue;
  row(i: number): Row;
  slice(from: number, to?: number): ChunkRows;
}

/** Rows already in lists (a preview's samples) as ChunkRows. */
export function listRows(rows: Row[]): ChunkRows {
  return {
    length: rows.length,
    cell: (i, column) => rows[i][column] ?? null,
    row: (i) => rows[i],
    slice: (from, to) => listRows(rows.slice(from, to)),
  };
}

/** What the analysis found out about how to read a file, enough to read it again the same way. */
export interface ReadSettings {
  format: 'CSV' | 'XLSX';
  encoding?: string;
  delimiter?: string;
}

/**
 * A readable input file: one or more named sheets of rows, each streamed from disk and readable
 * any number of times (the worker reads once to analyse and once to convert).
 */
export interface TableSource {
  readonly settings: ReadSettings;
  sheetNames(): Promise<string[]>;
  /** Every row of the sheet, the header included, in file order. */
  rows(sheet: string): AsyncIterable<Row>;
  /**
   * The same rows in packed batches, where the source has them so (the reading worker sends
   * them packed): a conversion reads them without building a row each (see RowBatch).
   */
  batches?(sheet: string): AsyncIterable<RowBatch>;
  /**
   * Every sheet in file order, in one pass over the file (a workbook read sheet by sheet with
   * `rows` is unzipped again for each). Each sheet's rows must be read before the next sheet.
   */
  sheets(): AsyncIterable<SheetRows>;
  /**
   * The number of rows of a sheet (header included) without reading them, where the format
   * allows it (CSV in a byte-scannable encoding); null when they have to be read to be counted.
   */
  countRows?(sheet: string): Promise<number | null>;
  /**
   * The number of the last row a sheet says it uses (an XLSX part's `<dimension ref="A1:C900">`
   * gives 900), read from the start of the sheet without reading its rows; null when it says
   * nothing. Unverified: a file may lie, so it serves to refuse early, never to count.
   */
  declaredRows?(sheet: string): Promise<number | null>;
  /** What the reader changed to make the file readable (e.g. renamed sheets), for the conversion's notes. */
  notes?(): Promise<string[]>;
}

export interface SheetRows {
  name: string;
  rows: AsyncIterable<Row>;
}
