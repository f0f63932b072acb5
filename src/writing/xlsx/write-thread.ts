import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { RowBatch, unpackRows } from '../../reading/row-batches';
import { trimCoordinates } from '../cell-values';
import { XlsxOutputWriter } from '../xlsx-writer';
import type { FromWriteThread, ToWriteThread, WriteThreadInit } from './thread-protocol';

/**
 * The workbook-writing thread (see xlsx-thread-writer.ts): an XlsxOutputWriter whose file is the
 * stream of `data` messages to the main thread. The sheet XML and zip bookkeeping run here; the
 * deflate runs in libuv's pool as before. Messages are handled strictly in order.
 */
const port = parentPort!;
const init = workerData as WriteThreadInit;
const post = (m: FromWriteThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** Output bytes sent but not yet passed on by the main thread before this thread waits. */
const OUTPUT_CREDIT_BYTES = 4 * 1024 * 1024;
/** Output is sent in pieces of about this size (archiver writes ~16 KB at a time). */
const MESSAGE_BYTES = 256 * 1024;
let unTaken = 0;
let waiting: (() => void) | null = null;
let pending: Buffer[] = [];
let pendingBytes = 0;

function send(): void {
  if (pendingBytes === 0) return;
  // One new buffer (transferred, not copied again): archiver's chunks may share their memory with others.
  const chunk = new Uint8Array(pendingBytes);
  let at = 0;
  for (const b of pending) {
    chunk.set(b, at);
    at += b.length;
  }
  unTaken += pendingBytes;
  pending = [];
  pendingBytes = 0;
  post({ kind: 'data', chunk }, [chunk.buffer]);
}

const file = new Writable({
  highWaterMark: MESSAGE_BYTES,
  write(chunk: Buffer, _encoding, callback) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= MESSAGE_BYTES) send();
    if (unTaken < OUTPUT_CREDIT_BYTES) callback();
    else waiting = callback;
  },
  final(callback) {
    send();
    post({ kind: 'finished' });
    callback();
  },
});

const writer = new XlsxOutputWriter(file, init.maxRowsPerSheet, init.csvText);

let chain = Promise.resolve();
let failed = false;

port.on('message', (m: ToWriteThread) => {
  if (m.op === 'taken') {
    unTaken -= m.bytes;
    if (waiting && unTaken < OUTPUT_CREDIT_BYTES) {
      const callback = waiting;
      waiting = null;
      callback();
    }
    return;
  }
  chain = chain.then(() => (failed ? undefined : handle(m))).catch(fail);
});

async function handle(m: Exclude<ToWriteThread, { op: 'taken' }>): Promise<void> {
  switch (m.op) {
    case 'sheet':
      writer.startSheet(m.start);
      break;
    case 'rows': {
      const rows = unpackRows(m.batch.packed);
      const appended = m.batch.appended;
      for (let i = 0; i < appended.length; i++) writer.writeRow(rows[2 * i], appended[i] ? rows[2 * i + 1] : null);
      await writer.drained();
      post({ kind: 'written' });
      break;
    }
    case 'chunkRows': {
      const { rows, appended, coordinates } = m.slice;
      const batch = new RowBatch(rows);
      const tails = unpackRows(appended);
      for (let i = 0; i < batch.length; i++) writer.writeRow(trimCoordinates(batch.row(i), coordinates), tails[i]);
      await writer.drained();
      post({ kind: 'written' });
      break;
    }
    case 'endSheet':
      await writer.endSheet();
      break;
    case 'finish':
      // `finished` is posted by the file's final(), after the last data.
      await writer.finish();
      break;
  }
}

function fail(err: unknown): void {
  if (failed) return;
  failed = true;
  const e = err as Error & { code?: unknown };
  post({ kind: 'error', message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : null });
}
