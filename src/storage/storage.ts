import type { Readable } from 'node:stream';

/**
 * Where uploads and outputs live, addressed by keys such as `uploads/<id>` and
 * `outputs/<id>.xlsx`: the local folder (default) or an S3-compatible object store. Every
 * instance of the service sees the same objects through it, so any instance can take an upload,
 * any worker can convert it and any instance can serve the result.
 *
 * Objects are written whole or not at all: `put` makes the object visible only once the body has
 * been read to its end (a rename on disk, a completed multipart upload in S3).
 */
export interface PutOptions {
  contentType?: string;
  partDir?: string;
}

export interface Storage {
  /** Names the storage for people (`s3://bucket/prefix`, `local folder`), never a local path. */
  readonly description: string;
  /**
   * Streams `body` into the object `key`, never holding it whole in memory; its size in bytes.
   * `partDir`: where a local folder keeps the object while it is written (a folder of the same
   * file system, e.g. the conversion's temporary folder); object stores have no partial files.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<number>;
  /** The object's bytes, from `start` to `end` inclusive when given. */
  get(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Its size, or null when there is no such object. */
  stat(key: string): Promise<{ size: number } | null>;
  /** Removes the object; no error when it is not there. */
  delete(key: string): Promise<void>;
  /** Throws StorageUnavailableError unless the storage answers (for /readyz). */
  check(): Promise<void>;
  /** A URL a client can fetch the object from for a while without the service (S3 only). */
  presignedUrl?(key: string, options: { expiresSeconds: number; fileName: string; contentType: string }): Promise<string>;
  /** The object as a file on this machine, when the storage is a local folder (read in place). */
  localFile?(key: string): string;
}
