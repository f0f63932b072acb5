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
          callback(new UserInputError(`The file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit.`, 'FILE_TOO_LARGE'));
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
      const message = (err as Error).message ?? '';
      if (/exceeds the \d+ byte size limit|truncated/i.test(message)) {
        throw new UserInputError(`The file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit.`, 'FILE_TOO_LARGE');
      }
      throw err;
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
}
