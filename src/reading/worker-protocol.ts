import type { PackedRows } from './row-batches';
import type { ReadSettings } from './table-source';

/** What the reading worker is started with. */
export interface WorkerInit {
  file: string;
  fileName: string;
  format: 'CSV' | 'XLSX';
  known?: ReadSettings;
}

export type CallMethod = 'sheetNames' | 'countRows' | 'declaredRows' | 'notes';

export type ToWorker =
  /** The file this worker reads from now on (a pooled worker reads for one source at a time)… */
  | { op: 'open'; id: number; init: WorkerInit }
  /** …and none: what it held of the last one is let go. */
  | { op: 'close'; id: number }
  | { op: 'call'; id: number; method: CallMethod; sheet?: string }
  /** Rows of `sheet`, or of every sheet when absent; `credits`: batches the worker may send ahead. */
  | { op: 'stream'; id: number; sheet?: string; credits: number }
  | { op: 'pull'; id: number }
  | { op: 'skip'; id: number; sheetIndex: number }
  | { op: 'stop'; id: number };

export type FromWorker =
  | { id: number; kind: 'value'; value: unknown; settings: ReadSettings }
  | { id: number; kind: 'sheet'; name: string; index: number; settings: ReadSettings }
  | { id: number; kind: 'rows'; packed: PackedRows }
  | { id: number; kind: 'end'; settings: ReadSettings }
  | { id: number; kind: 'error'; message: string; code: string };
