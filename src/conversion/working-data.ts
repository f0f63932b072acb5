import type { DataSource } from 'typeorm';
import type { Conversion } from '../entities/Conversion';
import type { FileStore } from './file-store';

/**
 * What a conversion needs only while it runs: its committed chunk results and the stored upload.
 * Dropped once it is COMPLETED (the output holds everything), FAILED or CANCELLED.
 */
export async function dropWorkingData(dataSource: DataSource, store: FileStore, job: Conversion): Promise<void> {
  await dataSource.query(`DELETE FROM conversion_chunks WHERE conversion_id = $1`, [job.id]);
  await store.remove(job.uploadKey);
}
