import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OutputFormat } from '../entities/Conversion';
import { UserInputError } from '../errors';

/**
 * Where uploads and outputs live under DATA_DIR. Uploads are streamed to a `.part` file and
 * renamed when complete, outputs are written to a temporary name and renamed by the writer: a
 * file under its final name is always whole.
 */
export class FileStore {
  readonly uploadsDir: string;
  readonly outputsDir: string;

  constructor(dataDir: string) {
    this.uploadsDir = path.join(dataDir, 'uploads');
    this.outputsDir = path.join(dataDir, 'outputs');
    fs.mkdirSync(this.uploadsDir, { recursive: true });
    fs.mkdirSync(this.outputsDir, { recursive: true });
  }

  uploadPath(id: string): string {
    return path.join(this.uploadsDir, id);
  }

  outputPath(id: string, format: OutputFormat): string {
    return path.join(this.outputsDir, `${id}.${format.toLowerCase()}`);
  }

  /** Streams an upload to disk, never holding it whole in memory; returns its size in bytes. */
  async saveUpload(id: string, stream: Readable, maxBytes: number): Promise<number> {
    const final = this.uploadPath(id);
    const temp = `${final}.part`;
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        size += chunk.length;
        if (size > maxBytes) {
          callback(fileTooLarge(maxBytes));
          return;
        }
        callback(null, chunk);
      },
    });
    try {
      await pipeline(stream, counter, fs.createWriteStream(temp));
      await fsp.rename(temp, final);
      return size;
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw isUploadLimitError(err) ? fileTooLarge(maxBytes) : err;
    }
  }

  /** The first bytes of a stored upload, to check what kind of file it really is. */
  async head(file: string, bytes = 8192): Promise<Buffer> {
    const handle = await fsp.open(file, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async remove(file: string | null | undefined): Promise<void> {
    if (file) await fsp.rm(file, { force: true });
  }

  /**
   * Every file a conversion has or may have had: the upload, the output in either format and
   * their unfinished temporaries. Used by retention and deleteConversion; missing files are fine.
   */
  async deleteConversionFiles(c: { id: string; uploadPath: string | null; outputPath: string | null }): Promise<void> {
    const outputs = [c.outputPath, this.outputPath(c.id, 'XLSX'), this.outputPath(c.id, 'CSV')].filter((f): f is string => Boolean(f));
    const temps = outputs.map((f) => path.join(path.dirname(f), `.${path.basename(f)}.part`));
    const uploads = c.uploadPath ? [c.uploadPath, `${c.uploadPath}.part`] : [];
    await Promise.all([...uploads, ...outputs, ...temps].map((f) => fsp.rm(f, { force: true })));
  }
}

/** The upload parser's own size limit (HTTP 413 from graphql-upload), however it surfaces. */
export function isUploadLimitError(err: unknown): boolean {
  const e = err as { status?: number; message?: string } | null;
  return e?.status === 413 || /exceeds the \d+ byte size limit/i.test(e?.message ?? '');
}

export function fileTooLarge(maxBytes: number): UserInputError {
  const mb = maxBytes / 1024 / 1024;
  const limit = mb >= 10 ? `${Math.round(mb)} MB` : mb >= 1 ? `${mb.toFixed(1)} MB` : `${Math.round(maxBytes / 1024)} KB`;
  return new UserInputError(`The file is larger than the ${limit} upload limit (MAX_UPLOAD_MB).`, 'FILE_TOO_LARGE');
}
