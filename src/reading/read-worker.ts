import { parentPort } from 'node:worker_threads';
import { openDirectSource } from './open-source';
import { describeReadError, READ_LIMITS, cellTooLong, fileTooComplex, rowTooLong, TOO_COMPLEX, type ReadPlace } from './read-limits';
import { RowPacker, transferablesOf } from './row-batches';
import type { Row, TableSource } from './table-source';
import type { CallMethod, FromWorker, ToWorker, WorkerInit } from './worker-protocol';

/**
 * The reading worker (see worker-source.ts): opens the upload it is given with the parser and
 * answers the main thread's requests, streaming rows in packed batches, at most a few batches
 * ahead of what the main thread has taken. Every failure is answered as a coded error that says
 * where. Kept in a pool between sources, it reads for one upload at a time ('open', 'close').
 */
const port = parentPort!;
let init: WorkerInit = { file: '', fileName: '', format: 'CSV' };
let opened: Promise<TableSource> | null = null;
const source = () => (opened ??= openDirectSource(init.file, init.fileName, init.format, init.known));

/** Rows per batch, and characters: a batch is a few hundred kilobytes at most. */
const BATCH_ROWS = 1000;
const BATCH_CHARS = 256 * 1024;

class Outlet {
  private credits = 0;
  private wake: (() => void) | null = null;
  stopped = false;
  /** The index of a sheet the main thread stopped reading (sheets()), to skip the rest of. */
  skipSheet = -1;

  give(n: number): void {
    this.credits += n;
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  skip(index: number): void {
    this.skipSheet = index;
    this.wake?.();
  }

  async take(): Promise<void> {
    while (this.credits === 0 && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
    this.credits--;
  }
}

const outlets = new Map<number, Outlet>();
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

port.on('message', (message: ToWorker) => {
  switch (message.op) {
    case 'open':
    case 'close':
      // Streams of the last file still running stop at their next batch.
      for (const outlet of outlets.values()) outlet.stop();
      outlets.clear();
      opened = null;
      if (message.op === 'open') init = message.init;
      break;
    case 'call':
      void call(message.id, message.method, message.sheet);
      break;
    case 'stream': {
      const outlet = new Outlet();
      outlets.set(message.id, outlet);
      outlet.give(message.credits);
      void stream(message.id, outlet, message.sheet ?? null).finally(() => outlets.delete(message.id));
      break;
    }
    case 'pull':
      outlets.get(message.id)?.give(1);
      break;
    case 'skip':
      outlets.get(message.id)?.skip(message.sheetIndex);
      break;
    case 'stop':
      outlets.get(message.id)?.stop();
      break;
  }
});

async function call(id: number, method: CallMethod, sheet?: string): Promise<void> {
  try {
    const s = await source();
    const value =
      method === 'sheetNames'
        ? await s.sheetNames()
        : method === 'notes'
          ? ((await s.notes?.()) ?? [])
          : method === 'declaredRows'
            ? ((await s.declaredRows?.(sheet!)) ?? null)
            : ((await s.countRows?.(sheet!)) ?? null);
    post({ id, kind: 'value', value, settings: s.settings });
  } catch (err) {
    const e = describeReadError(err, {}, init.format);
    post({ id, kind: 'error', message: e.message, code: e.code });
  }
}

/** Rows of one sheet (`sheet`), or of every sheet in order (null), in batches. */
async function stream(id: number, outlet: Outlet, sheet: string | null): Promise<void> {
  const place: ReadPlace = {};
  try {
    const s = await source();
    const packer = new RowPacker(BATCH_ROWS, BATCH_CHARS, READ_LIMITS.cellChars, READ_LIMITS.rowChars);
    const flush = async () => {
      if (packer.size === 0) return;
      await outlet.take();
      if (outlet.stopped) return;
      const packed = packer.take();
      post({ id, kind: 'rows', packed }, transferablesOf(packed));
    };
    const pump = async (name: string, rows: AsyncIterable<Row>, index: number) => {
      place.sheet = name;
      place.row = 0;
      for await (const row of rows) {
        place.row++;
        if (row.length > READ_LIMITS.rowCells) throw fileTooComplex(place, TOO_COMPLEX.rowCells(READ_LIMITS.rowCells));
        const added = packer.add(row);
        if (added === 'cell') throw cellTooLong(place, READ_LIMITS.cellChars);
        if (added === 'row') throw rowTooLong(place);
        if (packer.full) await flush();
        if (outlet.stopped || outlet.skipSheet === index) break;
      }
      if (!outlet.stopped && outlet.skipSheet !== index) await flush();
      else packer.take();
    };
    if (sheet !== null) {
      await pump(sheet, s.rows(sheet), 0);
    } else {
      let index = 0;
      for await (const each of s.sheets()) {
        if (outlet.stopped) break;
        post({ id, kind: 'sheet', name: each.name, index, settings: s.settings });
        await pump(each.name, each.rows, index);
        index++;
      }
    }
    post({ id, kind: 'end', settings: s.settings });
  } catch (err) {
    const e = describeReadError(err, place, init.format);
    post({ id, kind: 'error', message: e.message, code: e.code });
  }
}
