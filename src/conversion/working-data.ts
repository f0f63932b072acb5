import type { DataSource } from 'typeorm';
import type { Conversion } from '../entities/Conversion';
import { dropChunks } from './chunk-store';
import type { FileStore } from './file-store';

/**
 * What a conversion needs only while it runs: its committed chunk results and the stored upload.
 * Dropped once it is COMPLETED (the output holds everything), FAILED or CANCELLED.
 */
export async function dropWorkingData(dataSource: DataSource, store: FileStore, job: Conversion): Promise<void> {
  await dropChunks(dataSource.manager, job.id);
  await store.remove(job.uploadPath);
}
