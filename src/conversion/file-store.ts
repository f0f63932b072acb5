import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OutputFormat } from '../entities/Conversion';
import { UserInputError } from '../errors';
import { uploadBytes } from '../metrics/instruments';
import type { Storage } from '../storage/storage';
import { isProcessAlive } from '../util/process-alive';

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

/** Loose temporary files (of versions before per-conversion folders) older than this are removed at start. */
const STALE_TEMP_MS = 24 * 3600 * 1000;
/**
 * A conversion's folder without a conversion row may be an upload still arriving at another
 * instance sharing DATA_DIR; younger than this it is left to that instance.
 */
const ORPHAN_GRACE_MS = 10 * 60 * 1000;
/** A preview's folder made on another machine (sharing DATA_DIR) is removed after this. */
const FOREIGN_PREVIEW_MS = 3600 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Which conversions may still be writing into their folder: RUNNING under a live lease. */
export type LiveConversions = (ids: string[]) => Promise<{ live: Set<string>; known: Set<string> }>;

/**
 * Uploads and outputs of conversions, by storage key (`uploads/<id>`, `outputs/<id>.xlsx`), in
 * the configured storage (the local folder or S3); the keys are what conversions record, so any
 * instance finds them. Only temporary files live on this machine's disk: each conversion's in
 * DATA_DIR/tmp/<conversion id>/ (the upload while it arrives, a copy from S3, the output while it
 * is written), each preview's in DATA_DIR/tmp/preview-<host>-<pid>-<n>/. The folder goes when its
 * work ends, whichever way; what a killed process left is removed by `sweep` at the next start.
 */
export class FileStore {
  private readonly tempDir: string;
  /** Work folders this process is using now (never swept). */
  private readonly inUse = new Set<string>();

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

  /** The conversion's temporary folder (DATA_DIR/tmp/<id>/), made if missing and kept from sweeps until `releaseWork`. */
  async workFolder(id: string): Promise<string> {
    this.inUse.add(id);
    const dir = path.join(this.tempDir, id);
    await fsp.mkdir(dir, { recursive: true });
    return dir;
  }

  /** Removes the conversion's temporary folder with whatever is in it. */
  async releaseWork(id: string): Promise<void> {
    try {
      await fsp.rm(path.join(this.tempDir, id), { recursive: true, force: true });
    } finally {
      this.inUse.delete(id);
    }
  }

  /** Stops keeping the folder from sweeps without removing it (another worker took the conversion over). */
  forgetWork(id: string): void {
    this.inUse.delete(id);
  }

  /** Streams an upload into storage as it arrives, never whole in memory; returns its size in bytes. */
  async saveUpload(id: string, stream: Readable, maxBytes: number): Promise<number> {
    const counted = limitedUpload(stream, maxBytes);
    try {
      return await this.storage.put(this.uploadKey(id), counted, { partDir: await this.workFolder(id) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new UserInputError("서버의 디스크가 가득 찼습니다. 잠시 후 다시 시도해 주세요. · The server's disk is full; try again later.", 'DISK_FULL');
      throw isUploadLimitError(err) ? fileTooLarge(maxBytes) : err;
    } finally {
      await this.releaseWork(id);
    }
  }

  /** An upload kept on this machine only (a preview reads it once and forgets it), in a folder of its own. */
  async receiveTemp(stream: Readable, maxBytes: number): Promise<LocalFile> {
    const name = `preview-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    const file = path.join(await this.workFolder(name), 'upload');
    const release = () => this.releaseWork(name);
    try {
      await pipeline(limitedUpload(stream, maxBytes), fs.createWriteStream(file));
    } catch (err) {
      await release();
      throw isUploadLimitError(err) ? fileTooLarge(maxBytes) : err;
    }
    return { file, release };
  }

  /**
   * Removes the temporary folders nobody is using: a conversion's unless it is RUNNING under a
   * live lease (or, without a conversion row, still young: an upload arriving elsewhere), a
   * preview's whose process is gone. Run at start, after the leases of dead local processes were
   * given back. Returns the names removed.
   */
  async sweep(liveConversions: LiveConversions, now = Date.now()): Promise<string[]> {
    const names = (await fsp.readdir(this.tempDir, { withFileTypes: true })).filter((e) => e.isDirectory() && !this.inUse.has(e.name)).map((e) => e.name);
    const ids = names.filter((n) => UUID.test(n));
    const { live, known } = ids.length ? await liveConversions(ids) : { live: new Set<string>(), known: new Set<string>() };
    const removed: string[] = [];
    for (const name of names) {
      const dir = path.join(this.tempDir, name);
      let remove = false;
      if (UUID.test(name)) {
        remove = known.has(name) ? !live.has(name) : now - (await latestChange(dir)) > ORPHAN_GRACE_MS;
      } else {
        const preview = /^preview-(.+)-(\d+)-[0-9a-f]+$/.exec(name);
        if (!preview) continue;
        const [, host, pid] = preview;
        remove = host === os.hostname() ? Number(pid) === process.pid || !isProcessAlive(Number(pid)) : now - (await latestChange(dir)) > FOREIGN_PREVIEW_MS;
      }
      if (remove && !this.inUse.has(name)) {
        await fsp.rm(dir, { recursive: true, force: true });
        removed.push(name);
      }
    }
    return removed;
  }

  /**
   * A stored object as a file to read. The readers need one: an XLSX is a zip whose directory
   * sits at its end and whose shared strings and styles are read before the sheets, and a CSV is
   * read three times (encoding sniff, row count, rows) over analysis and conversion. One
   * sequential download to a per-conversion temporary file costs less than a ranged request per
   * read and keeps the readers as they are. The local folder is read in place.
   */
  async localCopy(key: string, conversionId: string): Promise<LocalFile> {
    const inPlace = this.storage.localFile?.(key);
    if (inPlace) {
      await this.storage.get(key, { start: 0, end: 0 }).then((s) => s.destroy()); // a clear error when it is missing
      return { file: inPlace, release: async () => {} };
    }
    const file = path.join(await this.workFolder(conversionId), `input-${randomUUID().slice(0, 8)}`);
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

  /**
   * A stream to write an output into; the object appears under its key only when whole. Its
   * partial file (local folder) is in `partDir`, the conversion's work folder.
   */
  openOutput(key: string, contentType: string, partDir: string): OutputTarget {
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    const done = this.storage.put(key, stream, { contentType, partDir });
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

}

/** The latest modification time of a folder and its entries (a file being written keeps it recent). */
async function latestChange(dir: string): Promise<number> {
  let latest = 0;
  try {
    latest = (await fsp.stat(dir)).mtimeMs;
    for (const name of await fsp.readdir(dir)) latest = Math.max(latest, (await fsp.stat(path.join(dir, name)).catch(() => ({ mtimeMs: 0 }))).mtimeMs);
  } catch {
    // gone meanwhile
  }
  return latest;
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
      const stat = fs.statSync(file);
      if (stat.isFile() && now - stat.mtimeMs > STALE_TEMP_MS) fs.rmSync(file, { force: true });
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
  return new UserInputError(`파일이 업로드 한도(${limit})보다 큽니다. 파일을 나누어 올리거나 관리자에게 MAX_UPLOAD_MB를 늘려 달라고 하세요. · The file is larger than the ${limit} upload limit (MAX_UPLOAD_MB).`, 'FILE_TOO_LARGE');
}
