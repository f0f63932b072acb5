import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OutputFormat } from '../entities/Conversion';
import { UserInputError } from '../errors';
import { uploadBytes } from '../metrics/instruments';
import type { Storage } from '../storage/storage';

/** A file on this machine that must be removed once used (an upload being previewed, a copy from storage). */
export interface LocalFile {
  file: string;
  release(): Promise<void>;
}

/** Where a writer sends an output: `done` resolves once the object is stored whole. */
export interface OutputTarget {
  key: string;
  stream: Writable;
  done: Promise<number>;
  abort(): Promise<void>;
}

/** Temporary files older than this are left by a process that was killed; removed at start. */
const STALE_TEMP_MS = 24 * 3600 * 1000;

/**
 * Uploads and outputs of conversions, by storage key (`uploads/<id>`, `outputs/<id>.xlsx`), in
 * the configured storage (the local folder or S3); the keys are what conversions record, so any
 * instance finds them. Only temporary files live on this machine's disk, under DATA_DIR/tmp,
 * each removed by whoever made it.
 */
export class FileStore {
  private readonly tempDir: string;

  constructor(
    readonly storage: Storage,
    dataDir: string,
  ) {
    this.tempDir = path.join(dataDir, 'tmp');
    fs.mkdirSync(this.tempDir, { recursive: true });
    // In the local folder, uploads/ and outputs/ exist from the start, as they always have.
    for (const folder of ['uploads', 'outputs']) {
      const inPlace = storage.localFile?.(`${folder}/-`);
      if (inPlace) fs.mkdirSync(path.dirname(inPlace), { recursive: true });
    }
    removeStaleTempFiles(this.tempDir);
  }

  uploadKey(id: string): string {
    return `uploads/${id}`;
  }

  outputKey(id: string, format: OutputFormat): string {
    return `outputs/${id}.${format.toLowerCase()}`;
  }

  /** Streams an upload into storage as it arrives, never whole in memory; returns its size in bytes. */
  async saveUpload(id: string, stream: Readable, maxBytes: number): Promise<number> {
    const counted = limitedUpload(stream, maxBytes);
    try {
      return await this.storage.put(this.uploadKey(id), counted);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new UserInputError("The server's disk is full; try again later.", 'DISK_FULL');
      throw isUploadLimitError(err) ? fileTooLarge(maxBytes) : err;
    }
  }

  /** An upload kept on this machine only (a preview reads it once and forgets it). */
  async receiveTemp(stream: Readable, maxBytes: number): Promise<LocalFile> {
    const file = this.tempFile('upload');
    try {
      await pipeline(limitedUpload(stream, maxBytes), fs.createWriteStream(file));
    } catch (err) {
      await fsp.rm(file, { force: true });
      throw isUploadLimitError(err) ? fileTooLarge(maxBytes) : err;
    }
    return { file, release: () => fsp.rm(file, { force: true }) };
  }

  /**
   * A stored object as a file to read. The readers need one: an XLSX is a zip whose directory
   * sits at its end and whose shared strings and styles are read before the sheets, and a CSV is
   * read three times (encoding sniff, row count, rows) over analysis and conversion. One
   * sequential download to a per-conversion temporary file costs less than a ranged request per
   * read and keeps the readers as they are. The local folder is read in place.
   */
  async localCopy(key: string): Promise<LocalFile> {
    const inPlace = this.storage.localFile?.(key);
    if (inPlace) {
      await this.storage.get(key, { start: 0, end: 0 }).then((s) => s.destroy()); // a clear error when it is missing
      return { file: inPlace, release: async () => {} };
    }
    const file = this.tempFile('input');
    try {
      await pipeline(await this.storage.get(key), fs.createWriteStream(file));
    } catch (err) {
      await fsp.rm(file, { force: true });
      throw err;
    }
    return { file, release: () => fsp.rm(file, { force: true }) };
  }

  /** The first bytes of a stored upload, to check what kind of file it really is. */
  async head(key: string, bytes = 8192): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.storage.get(key, { start: 0, end: bytes - 1 })) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).subarray(0, bytes);
  }

  /** A stream to write an output into; the object appears under its key only when whole. */
  openOutput(key: string, contentType: string): OutputTarget {
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    const done = this.storage.put(key, stream, { contentType });
    // A storage failure must reach the writer (and stop it) rather than leave it waiting to drain.
    done.catch((err) => stream.destroy(err));
    return {
      key,
      stream,
      done,
      abort: async () => {
        stream.destroy(new Error('output abandoned'));
        await done.catch(() => {});
      },
    };
  }

  async remove(key: string | null | undefined): Promise<void> {
    if (key) await this.storage.delete(key);
  }

  /** Removes everything stored for a conversion (retention, deleteConversion): its upload and any output it may have written; missing objects are fine. */
  async deleteConversionFiles(c: { id: string; uploadKey: string | null; outputKey: string | null }): Promise<void> {
    const keys = new Set([c.uploadKey ?? this.uploadKey(c.id), c.outputKey, this.outputKey(c.id, 'XLSX'), this.outputKey(c.id, 'CSV')]);
    await Promise.all([...keys].filter((k): k is string => Boolean(k)).map((k) => this.storage.delete(k)));
  }

  private tempFile(kind: string): string {
    return path.join(this.tempDir, `${kind}-${randomUUID()}`);
  }
}

/** Counts the upload's bytes (for /metrics) and stops it as soon as it passes the limit. */
function limitedUpload(stream: Readable, maxBytes: number): Readable {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      size += chunk.length;
      uploadBytes.inc(chunk.length);
      if (size > maxBytes) {
        callback(fileTooLarge(maxBytes));
        return;
      }
      callback(null, chunk);
    },
  });
  stream.on('error', (err) => counter.destroy(err));
  return stream.pipe(counter);
}

function removeStaleTempFiles(dir: string): void {
  const now = Date.now();
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs > STALE_TEMP_MS) fs.rmSync(file, { force: true });
    } catch {
      // removed meanwhile by another process sharing the folder
    }
  }

}

/** The upload parser's own size limit (HTTP 413 from graphql-upload), however it surfaces. */
export function isUploadLimitError(err: unknown): boolean {
  const e = err as { status?: number; message?: string; code?: string } | null;
  return e?.status === 413 || e?.code === 'FILE_TOO_LARGE' || /exceeds the \d+ byte size limit/i.test(e?.message ?? '');
}

export function fileTooLarge(maxBytes: number): UserInputError {
  const mb = maxBytes / 1024 / 1024;
  const limit = mb >= 10 ? `${Math.round(mb)} MB` : mb >= 1 ? `${mb.toFixed(1)} MB` : `${Math.round(maxBytes / 1024)} KB`;
  return new UserInputError(`The file is larger than the ${limit} upload limit (MAX_UPLOAD_MB).`, 'FILE_TOO_LARGE');
}
