import type { PackedRows } from '../../reading/row-batches';
import type { SheetStart } from '../output-writer';

/** What the workbook-writing thread is started with (see xlsx-thread-writer.ts). */
export interface WriteThreadInit {
  maxRowsPerSheet: number;
  csvText: boolean;
}

/**
 * Rows of a batch: each output row is two packed rows, its own cells then its appended ones;
 * `appended[i]` is 0 where row i has none (a copied-through row), else 1.
 */
export interface RowBatch {
  packed: PackedRows;
  appended: Uint8Array;
}

export type ToWriteThread =
  | { op: 'sheet'; start: SheetStart }
  | { op: 'rows'; batch: RowBatch }
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
