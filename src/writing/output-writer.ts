import type { RowBatch } from '../reading/row-batches';
import type { CellValue, Row } from '../reading/table-source';
import { trimCoordinates } from './cell-values';

/**
 * Where converted rows go. One writer per conversion, writing into a stream that storage turns
 * into an object only once it ends whole, so a crash never leaves a half-written output behind.
 */
export interface OutputWriter {
  /** `leadingRows` are rows above the header (titles); they are copied as they are. */
  startSheet(sheet: SheetStart): void;
  /** `appended` is null for rows of a sheet without coordinates (copied through). */
  writeRow(values: Row, appended: CellValue[] | null): void;
  /**
   * Rows from..to-1 of a converted chunk, row i followed by its appended cells
   * (appended.values(i - from)), as they lie in the batch (no row is built where the writer does
   * not need one); the cells of `coordinates` are written trimmed (trimCoordinates).
   */
  writeRows(rows: RowBatch, from: number, to: number, appended: AppendedCells, coordinates: CoordinateCells): void;
  /** Resolves once the rows written so far have been taken by the file stream (backpressure). */
  drained?(): Promise<void>;
  endSheet(): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

export interface SheetStart {
  name: string;
  leadingRows: Row[];
  /** The input header; null for a sheet without a header (copied through). */
  header: string[] | null;
  /** Names of the columns appended after the input's own; empty for a copied sheet. */
  appendedHeader: string[];
  /** The first data rows, to size the columns. */
  sample: Row[];
  /** The appended values of the first data rows, to size the appended columns. */
  appendedSample?: CellValue[][];
}

/** The appended cells of the rows of one writeRows call, k = 0 for its first row. */
export interface AppendedCells {
  /** Row k's appended values (a new array). */
  values(k: number): CellValue[];
  /**
   * A number shared by exactly the rows whose appended values are the same (one boundary, one
   * result, no note), or null: a writer may keep those values' encoded form under it instead of
   * encoding them again for every row.
   */
  key(k: number): number | null;
}

/** The columns of a sheet's coordinates, written trimmed. */
export interface CoordinateCells {
  xIndex: number | null;
  yIndex: number | null;
}

/** writeRows for a writer that takes rows one by one. */
export function writeRowsOneByOne(writer: OutputWriter, rows: RowBatch, from: number, to: number, appended: AppendedCells, coordinates: CoordinateCells): void {
  for (let i = from; i < to; i++) writer.writeRow(trimCoordinates(rows.row(i), coordinates), appended.values(i - from));
}
