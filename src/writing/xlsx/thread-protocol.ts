import type { PackedRows } from '../../reading/row-batches';
import type { CoordinateCells, SheetStart } from '../output-writer';

/** What the workbook-writing thread is started with (see xlsx-thread-writer.ts). */
export interface WriteThreadInit {
  maxRowsPerSheet: number;
  csvText: boolean;
}

/**
 * Rows of a batch: each output row is two packed rows, its own cells then its appended ones;
 * `appended[i]` is 0 where row i has none (a copied-through row), else 1.
 */
export interface OutputBatch {
  packed: PackedRows;
  appended: Uint8Array;
}

/**
 * Rows of a converted chunk as the reader packed them, and their appended cells packed a row
 * each; the coordinate cells are written trimmed.
 */
export interface ChunkSlice {
  rows: PackedRows;
  appended: PackedRows;
  coordinates: CoordinateCells;
}

export type ToWriteThread =
  | { op: 'sheet'; start: SheetStart }
  | { op: 'rows'; batch: OutputBatch }
  | { op: 'chunkRows'; slice: ChunkSlice }
  | { op: 'endSheet' }
  | { op: 'finish' }
  /** The main thread has passed on `bytes` more of the output. */
  | { op: 'taken'; bytes: number };

export type FromWriteThread =
  /** A piece of the workbook file, in order. */
  | { kind: 'data'; chunk: Uint8Array }
  /** A rows batch is written into the sheet (and deflate has caught up). */
  | { kind: 'written' }
  /** The whole workbook has been handed over. */
  | { kind: 'finished' }
  | { kind: 'error'; message: string; code: string | null };
