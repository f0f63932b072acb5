import { LocalStorage } from './local-storage';
import { createS3Client, parseS3Url, S3Storage, type S3Settings } from './s3-storage';
import type { Storage } from './storage';

/**
 * The storage STORAGE_URL names: `s3://bucket/prefix` (with the standard AWS settings), or,
 * when unset, the local folder DATA_DIR.
 */
export function openStorage(storageUrl: string | undefined, dataDir: string, s3: S3Settings): Storage & { close?(): void } {
  if (!storageUrl) return new LocalStorage(dataDir);
  return new S3Storage(createS3Client(s3), parseS3Url(storageUrl));
}
