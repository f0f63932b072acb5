import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageObjectMissingError, StorageUnavailableError } from '../errors';
import { storageErrors } from '../metrics/instruments';
import type { PutOptions, Storage } from './storage';

/**
 * The default storage: files under a folder (DATA_DIR), keys as relative paths. An object is
 * written to a temporary name beside its final one and renamed when whole, so a file under its
 * final name is always complete. Instances can share it only through a shared volume; without
 * one, use S3 (s3-storage.ts).
 */
export class LocalStorage implements Storage {
  readonly description = 'local folder (DATA_DIR)';

  constructor(private readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  localFile(key: string): string {
    const file = path.resolve(this.root, key);
    if (!file.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`Storage key outside the storage folder: ${key}`);
    return file;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<number> {
    const final = this.localFile(key);
    const partName = `${path.basename(final)}.${randomUUID().slice(0, 8)}.part`;
    const temp = path.join(options.partDir ?? path.dirname(final), partName);
    try {
      await fsp.mkdir(path.dirname(final), { recursive: true });
      const file = fs.createWriteStream(temp);
      await pipeline(body, file);
      await fsp.rename(temp, final);
      return file.bytesWritten;
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw isFileSystemError(err) ? this.unavailable('put', err) : err;
    }
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const stream = fs.createReadStream(this.localFile(key), range);
    // Opening errors (missing file, no access) surface here rather than on the first read.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new StorageObjectMissingError(`${key} is not in the ${this.description}.`);
      throw this.unavailable('get', err);
    });
    return stream;
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      return { size: (await fsp.stat(this.localFile(key))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.unavailable('stat', err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await fsp.rm(this.localFile(key), { force: true });
    } catch (err) {
      throw this.unavailable('delete', err);
    }
  }

  async check(): Promise<void> {
    try {
      await fsp.access(this.root, fs.constants.W_OK);
    } catch (err) {
      throw this.unavailable('check', err);
    }
  }

  /** Names the error's code (ENOSPC, EACCES…), not the path: messages reach users. */
  private unavailable(operation: string, err: unknown): StorageUnavailableError {
    storageErrors.inc({ operation });
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return new StorageUnavailableError(`Storage (${this.description}) is unavailable: ${code} on ${operation}.`);
  }
}

function isFileSystemError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
