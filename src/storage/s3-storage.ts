import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StorageObjectMissingError, StorageUnavailableError } from '../errors';
import { storageErrors } from '../metrics/instruments';
import type { Storage } from './storage';

/** Multipart part size: what one upload holds in memory per part in flight (two at a time). */
const PART_BYTES = 8 * 1024 * 1024;

/** The standard AWS settings (read from the environment in config.ts). */
export interface S3Settings {
  region: string;
  /** A custom endpoint (MinIO, R2, SeaweedFS…), addressed path-style. */
  endpoint?: string;
  /** Keys given in the environment; otherwise the AWS SDK's default chain (profiles, instance roles…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface S3Location {
  bucket: string;
  /** Key prefix without a trailing slash; '' for the bucket's root. */
  prefix: string;
}

/** `s3://bucket/some/prefix` → { bucket, prefix: 'some/prefix' }. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match || !match[1]) throw new Error(`STORAGE_URL must look like s3://bucket or s3://bucket/prefix, not "${url}"`);
  return { bucket: match[1], prefix: match[2].replace(/^\/+|\/+$/g, '') };
}

/**
 * The S3 client from the standard AWS settings (config.ts): region, keys (else the SDK's default
 * chain), and a custom endpoint for another S3-compatible store, addressed path-style there,
 * since MinIO, SeaweedFS and local test servers do not serve bucket subdomains.
 */
export function createS3Client(settings: S3Settings): S3Client {
  const config: S3ClientConfig = {
    region: settings.region,
    credentials: settings.credentials,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
  };
  if (settings.endpoint) {
    config.endpoint = settings.endpoint;
    config.forcePathStyle = true;
    // Newer SDKs add CRC checksums in an aws-chunked body by default, which several
    // S3-compatible stores do not accept; there only what the API requires is sent.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(config);
}

/**
 * An S3-compatible object store (AWS S3, MinIO, R2, SeaweedFS…): `put` streams through a
 * multipart upload (lib-storage; at most two parts in memory), `get` streams the object.
 */
export class S3Storage implements Storage {
  readonly description: string;

  constructor(
    private readonly client: S3Client,
    private readonly location: S3Location,
  ) {
    this.description = `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`;
  }

  private objectKey(key: string): string {
    return this.location.prefix ? `${this.location.prefix}/${key}` : key;
  }

  async put(key: string, body: Readable, options: { contentType?: string } = {}): Promise<number> {
    let size = 0;
    let bodyError: unknown = null;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        size += chunk.length;
        callback(null, chunk);
      },
    });
    // The body's own failure (an upload over the limit, a writer that gave up) is what the caller
    // must see, not the aborted multipart upload it causes.
    pipeline(body, counted).catch((err) => (bodyError = err));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: this.objectKey(key), Body: counted, ContentType: options.contentType },
      partSize: PART_BYTES,
      queueSize: 2,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      return size;
    } catch (err) {
      if (bodyError) throw bodyError;
      throw this.failure('put', err);
    }
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const reply = await this.client.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: this.objectKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      return reply.Body as Readable;
    } catch (err) {
      if (range && errorName(err) === 'InvalidRange') return Readable.from([]); // an empty object
      if (isMissing(err)) throw new StorageObjectMissingError(`${key} is not in ${this.description}.`);
      throw this.failure('get', err);
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
      return { size: head.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.failure('stat', err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
    } catch (err) {
      if (!isMissing(err)) throw this.failure('delete', err);
    }
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
    } catch (err) {
      throw this.failure('check', err);
    }
  }

  presignedUrl(key: string, options: { expiresSeconds: number; fileName: string; contentType: string }): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.location.bucket,
      Key: this.objectKey(key),
      ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(options.fileName)}`,
      ResponseContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: options.expiresSeconds });
  }

  close(): void {
    this.client.destroy();
  }

  private failure(operation: string, err: unknown): StorageUnavailableError {
    storageErrors.inc({ operation });
    return new StorageUnavailableError(`Storage ${this.description} is unavailable: ${errorName(err)} on ${operation}.`);
  }
}

/** The S3 error code (NoSuchBucket, AccessDenied…) or the network error's code (ECONNREFUSED…). */
function errorName(err: unknown): string {
  const e = err as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | null;
  const name = e?.Code ?? (e?.name && e.name !== 'Error' ? e.name : undefined) ?? e?.code;
  const status = e?.$metadata?.httpStatusCode;
  return name ? (status ? `${name} (HTTP ${status})` : name) : status ? `HTTP ${status}` : 'error';
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || (e?.$metadata?.httpStatusCode === 404 && e?.name !== 'NoSuchBucket');
}
