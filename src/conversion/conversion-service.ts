import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { ANONYMOUS_VIEWER, mayAccess, type Viewer } from '../auth/viewer';
import type { BoundarySetService } from '../boundaries/set-service';
import { Conversion, TERMINAL_STATUSES, type ConversionStatus } from '../entities/Conversion';
import { NotFoundError, UserInputError } from '../errors';
import type { ProgressBus } from '../pubsub/progress-bus';
import { detectInputFormat, openTableSource } from '../reading/open-source';
import { assertHasDataRows } from './data-rows';
import type { FileStore } from './file-store';
import type { JobQueue } from './job-queue';
import { beforeReadingUpload, checkRequestOptions } from './request-checks';
import type { Retention } from './retention';

/** Most conversions one `conversions` query returns. */
export const MAX_LIST_LIMIT = 100;

export interface IncomingFile {
  fileName: string;
  stream: Readable;
}

/**
 * Everything a client can do with conversions. Creating one stores the upload and a QUEUED row
 * and returns at once; the worker does the rest. Resolvers and tests call this, never the tables.
 */
export class ConversionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly store: FileStore,
    private readonly sets: BoundarySetService,
    private readonly bus: ProgressBus,
    private readonly maxUploadBytes: number,
    private readonly onQueued: () => void,
    private readonly retention: Retention,
    /** Queued or running conversions one key may have (MAX_ACTIVE_CONVERSIONS); not applied without keys. */
    private readonly maxActivePerOwner: number,
  ) {}

  async create(file: IncomingFile, rawOptions: Record<string, unknown> | null | undefined, viewer: Viewer = ANONYMOUS_VIEWER): Promise<Conversion> {
    const fileName = cleanFileName(file.fileName);
    // Cheap checks first, so a bad request fails before the upload is stored.
    const { options } = await beforeReadingUpload(file.stream, async () => {
      await this.checkActiveLimit(viewer.name);
      return checkRequestOptions(this.dataSource, this.sets, rawOptions);
    });

    const id = randomUUID();
    const size = await this.store.saveUpload(id, file.stream, this.maxUploadBytes);
    const uploadKey = this.store.uploadKey(id);
    try {
      const format = detectInputFormat(fileName, await this.store.head(uploadKey));
      // A header-only file is refused before a conversion exists (NO_DATA_ROWS).
      const local = await this.store.localCopy(uploadKey, id);
      try {
        await assertHasDataRows(await openTableSource(local.file, fileName, format));
      } finally {
        await local.release();
        // Before it is queued: from then on the folder is the worker's.
        await this.store.releaseWork(id);
      }
      // Checked again at the insert: uploads of one key that ran side by side passed the first check together.
      await this.dataSource.transaction(async (tx) => {
        if (viewer.name !== null) await tx.query(`SELECT pg_advisory_xact_lock(hashtext('conversions-of:' || $1))`, [viewer.name]);
        await this.checkActiveLimit(viewer.name, tx);
        await this.queue.enqueue({ id, fileName, uploadKey, fileSize: size, options, owner: viewer.name }, tx);
      });
      this.onQueued();
      return (await this.get(id))!;
    } catch (err) {
      await this.store.remove(uploadKey).catch(() => {});
      throw err;
    }
  }

  private async checkActiveLimit(owner: string | null, tx: { query: DataSource['query'] } = this.dataSource): Promise<void> {
    if (owner === null) return;
    const [row] = await tx.query(`SELECT count(*)::int AS n FROM conversions WHERE owner = $1 AND status IN ('QUEUED', 'RUNNING')`, [owner]);
    if (Number(row.n) >= this.maxActivePerOwner) {
      throw new UserInputError(
        `대기 중이거나 실행 중인 변환이 이미 ${this.maxActivePerOwner}개입니다. 끝나거나 취소한 뒤 다시 올려 주세요. · ` +
          `This key already has ${this.maxActivePerOwner} queued or running conversions (MAX_ACTIVE_CONVERSIONS); wait for one to finish or cancel one.`,
        'TOO_MANY_CONVERSIONS',
      );
    }
  }

  /** Any conversion by id, whoever owns it (the worker, downloads by signed link, tests). */
  get(id: string): Promise<Conversion | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.dataSource.getRepository(Conversion).findOneBy({ id });
  }

  /** A conversion as a viewer may see it: null when unknown or another key's (the same answer, NOT_FOUND). */
  async find(id: string, viewer: Viewer): Promise<Conversion | null> {
    const found = await this.get(id);
    return found && mayAccess(viewer, found.owner) ? found : null;
  }

  /** As `find`, but NOT_FOUND (a coded error) instead of null. */
  async findOrFail(id: string, viewer: Viewer): Promise<Conversion> {
    const found = await this.find(id, viewer);
    if (!found) throw new NotFoundError(`변환 ${id}을(를) 찾을 수 없습니다. · No conversion with id ${id}.`);
    return found;
  }

  async list(args: { limit: number; offset: number; status?: ConversionStatus | null }, viewer: Viewer = ANONYMOUS_VIEWER): Promise<Conversion[]> {
    if (args.limit > MAX_LIST_LIMIT) {
      throw new UserInputError(`limit는 최대 ${MAX_LIST_LIMIT}입니다. · limit is at most ${MAX_LIST_LIMIT}; page with offset.`, 'LIMIT_TOO_LARGE');
    }
    return this.dataSource.getRepository(Conversion).find({
      where: { ...(args.status ? { status: args.status } : {}), ...(viewer.seesAll ? {} : { owner: viewer.name ?? '' }) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: Math.max(args.limit, 1),
      skip: Math.max(args.offset, 0),
    });
  }

  /**
   * Deletes a conversion's upload, output and stored results at once; it stays listed as EXPIRED.
   * A queued or running one stops (its worker discards what it made).
   */
  async delete(id: string, viewer: Viewer = ANONYMOUS_VIEWER): Promise<Conversion> {
    await this.findOrFail(id, viewer);
    await this.retention.expireNow(id);
    return (await this.get(id))!;
  }

  /**
   * Cancels a queued or running conversion. A running one is stopped by its worker at its next
   * chunk (its lease no longer matches); cancelling a finished one is an error that says so.
   */
  async cancel(id: string, viewer: Viewer = ANONYMOUS_VIEWER): Promise<Conversion> {
    const existing = await this.findOrFail(id, viewer);
    const cancelledFrom = await this.queue.cancel(id);
    if (cancelledFrom === null) {
      const now = (await this.get(id)) ?? existing;
      throw new UserInputError(`Conversion ${id} is already ${now.status}.`, 'ALREADY_FINISHED');
    }
    // A queued job's upload is read by no one now; a running job's worker cleans up after itself.
    if (cancelledFrom === 'QUEUED') await this.store.remove(existing.uploadKey).catch(() => {});
    return (await this.get(id))!;
  }

  /**
   * The conversion's current state, then every change, ending after the terminal state. Listens
   * before reading so no change between the read and the subscription is missed; also re-reads
   * every few seconds in case a notification was lost (another instance without LISTEN, a dropped
   * connection).
   */
  async *watch(id: string, fallbackPollMs = 3000): AsyncGenerator<Conversion> {
    let signal: (() => void) | null = null;
    let dirty = false;
    const unsubscribe = this.bus.subscribe(id, () => {
      dirty = true;
      signal?.();
    });
    try {
      let current = await this.get(id);
      if (!current) throw new NotFoundError(`No conversion with id ${id}.`);
      yield current;
      while (!TERMINAL_STATUSES.includes(current.status)) {
        if (!dirty) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, fallbackPollMs);
            signal = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          signal = null;
        }
        dirty = false;
        const next = await this.get(id);
        if (!next) return;
        if (changed(current, next)) yield next;
        current = next;
      }
    } finally {
      unsubscribe();
    }
  }
}

function changed(a: Conversion, b: Conversion): boolean {
  return a.status !== b.status || a.phase !== b.phase || a.processedRows !== b.processedRows || a.readRows !== b.readRows || a.writtenRows !== b.writtenRows || a.totalRows !== b.totalRows || a.error !== b.error;
}

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

/** Keeps the base name only (browsers may send a path) and drops control characters. */
function cleanFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return cleaned.slice(0, 255) || 'upload.csv';
}
