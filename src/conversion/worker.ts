import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { DataSource } from 'typeorm';
import { UserInputError } from '../errors';
import type { Logger } from '../logger';
import { Conversion } from '../entities/Conversion';
import { JobLostError, ShutdownError } from './errors';
import { isProcessAlive } from '../util/process-alive';
import type { FileStore } from './file-store';
import { dropWorkingData } from './working-data';
import { failureOf, isTransientDatabaseError } from './failures';
import type { JobQueue, Lease } from './job-queue';
import type { ConversionRunner } from './runner';

export interface WorkerOptions {
  slots: number;
  leaseSeconds: number;
  maxAttempts: number;
  /** How often an idle worker looks for work it was not told about (another process queued it). */
  pollMs: number;
}

/**
 * Claims queued conversions and runs them, `slots` at a time. While a job runs its lease is
 * renewed; if renewal fails (cancelled, or taken over after a stall) the job is aborted. On
 * `stop()` running jobs are handed back at once so another process, or the next start, resumes them.
 */
export class Worker {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly active = new Map<string, AbortController>();
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly runner: ConversionRunner,
    private readonly store: FileStore,
    private readonly options: WorkerOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    if (this.options.slots === 0) {
      void this.sweepTemporaryFiles();
      return;
    }
    this.running = true;
    // The loops start once the sweep is done, so it never removes the folder of a job just claimed.
    let startLoops!: () => void;
    const swept = new Promise<void>((resolve) => (startLoops = resolve));
    this.loops = Array.from({ length: this.options.slots }, () => swept.then(() => this.loop()));
    this.queue
      .releaseDeadLocalLeases(os.hostname(), isProcessAlive)
      .then(
        (released) => {
          if (released.length === 0) return;
          this.log.info(`Resuming ${released.length} conversion(s) left by a process that stopped without handing them back`);
          this.wake();
        },
        (err) => this.log.error('Could not check for conversions left by a stopped process', err),
      )
      // After the leases of dead processes are given back, their conversions' folders are no one's.
      .then(() => this.sweepTemporaryFiles())
      .finally(startLoops);
  }

  /** Temporary folders left by conversions and previews of processes that were killed (FileStore.sweep). */
  private async sweepTemporaryFiles(): Promise<void> {
    try {
      const removed = await this.store.sweep((ids) => this.queue.liveAmong(ids));
      if (removed.length) this.log.info(`Removed ${removed.length} temporary folder(s) left by stopped conversions or previews`);
    } catch (err) {
      this.log.error('Could not sweep temporary files', err);
    }
  }

  /** Called when a job is queued in this process, so it starts without waiting for the next poll. */
  wake(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const controller of this.active.values()) controller.abort(new ShutdownError());
    this.wake();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    let failedClaims = 0;
    while (this.running) {
      let job: Conversion | null = null;
      try {
        job = await this.queue.claim(this.id);
        failedClaims = 0;
      } catch (err) {
        // A database that is down is waited for (with backoff), never a reason to exit.
        if (failedClaims++ === 0) this.log.error('Could not claim a job; retrying until the database answers', err);
      }
      if (!job) {
        await this.sleep(failedClaims > 0 ? backoffMs(failedClaims) : this.options.pollMs);
        continue;
      }
      try {
        await this.execute(job);
      } catch (err) {
        this.log.error(`Conversion ${job.id}: could not record its outcome`, err);
      }
    }
  }

  private async execute(job: Conversion): Promise<void> {
    const lease: Lease = { jobId: job.id, workerId: this.id };
    // Every line about a job carries its id (a field of its own in JSON logs).
    const log = this.log.child({ conversionId: job.id });
    if (job.attempts > this.options.maxAttempts) {
      await this.fail(job, lease, log, `Stopped after ${job.attempts - 1} attempts: the worker processing this file stopped each time.`, 'TOO_MANY_ATTEMPTS');
      return;
    }
    const controller = new AbortController();
    this.active.set(job.id, controller);
    const heartbeat = setInterval(() => {
      this.queue.renew(lease).then(
        (owned) => owned || controller.abort(new JobLostError(job.id)),
        (err) => log.error(`Lease renewal of ${job.id} failed`, err),
      );
    }, (this.options.leaseSeconds * 1000) / 3);
    try {
      log.info(`Conversion ${job.id} (${job.fileName}) started, attempt ${job.attempts}, from row ${job.processedRows}`);
      await this.runResuming(job, lease, log, controller.signal);
      log.info(`Conversion ${job.id} completed`);
    } catch (err) {
      await this.handleFailure(job, lease, log, err).catch((e) => log.error(`Conversion ${job.id}: could not record its failure`, e));
    } finally {
      clearInterval(heartbeat);
      this.active.delete(job.id);
    }
  }

  /**
   * Runs the job; when the database drops the connection or refuses it (restart, failover,
   * terminated backends), waits until it answers again and resumes from the last committed chunk
   * in the same claim, so the job neither fails nor uses up an attempt.
   */
  private async runResuming(job: Conversion, lease: Lease, log: Logger, signal: AbortSignal): Promise<void> {
    let retry = 0;
    let progress = job.processedRows;
    for (;;) {
      try {
        await this.runner.run(job, lease, signal);
        return;
      } catch (err) {
        if (!isTransientDatabaseError(err) || signal.aborted || !this.running) throw err;
        log.info(`Conversion ${job.id}: database unavailable (${(err as Error).message}); resuming after its last committed chunk once it answers`);
        job = await this.reloadWhenReachable(job.id, signal, ++retry);
        // The backoff starts over whenever a chunk got through in between.
        if (job.processedRows > progress) retry = 0;
        progress = job.processedRows;
      }
    }
  }

  private async reloadWhenReachable(id: string, signal: AbortSignal, retry: number): Promise<Conversion> {
    for (let attempt = Math.max(1, retry); ; attempt++) {
      await this.sleep(backoffMs(attempt));
      if (signal.aborted) throw signal.reason;
      try {
        const job = await this.dataSource.getRepository(Conversion).findOneBy({ id });
        if (!job || job.status !== 'RUNNING' || job.workerId !== this.id) throw new JobLostError(id);
        return job;
      } catch (err) {
        if (!isTransientDatabaseError(err)) throw err;
      }
    }
  }

  private async handleFailure(job: Conversion, lease: Lease, log: Logger, err: unknown): Promise<void> {
    if (err instanceof ShutdownError) {
      await this.queue.release(lease).catch((e) => log.error(`Could not release ${job.id}`, e));
      log.info(`Conversion ${job.id} handed back at shutdown; it resumes after its last committed chunk`);
      return;
    }
    if (err instanceof JobLostError) {
      const status = await this.queue.statusOf(job.id);
      if (status === 'CANCELLED' || status === 'EXPIRED') {
        // Cancelled or deleted: nothing it made may stay, not even an output finished in the meantime.
        await this.discard(job, log);
        await this.store.deleteConversionFiles({ id: job.id, uploadKey: job.uploadKey, outputKey: null }).catch(() => {});
        await this.store.releaseWork(job.id).catch(() => {});
        log.info(`Conversion ${job.id} ${status === 'CANCELLED' ? 'cancelled' : 'deleted'}`);
      } else {
        log.info(`Conversion ${job.id} was taken over by another worker`);
      }
      return;
    }
    if (isTransientDatabaseError(err)) {
      // Shutting down while the database is away: the lease runs out and the job is resumed later.
      log.info(`Conversion ${job.id} stopped while the database was unavailable; it resumes later`);
      return;
    }
    if (!(err instanceof UserInputError)) log.error(`Conversion ${job.id} failed`, err);
    const failure = failureOf(err);
    await this.fail(job, lease, log, failure.message, failure.code);
  }

  private async fail(job: Conversion, lease: Lease, log: Logger, message: string, code = 'INTERNAL'): Promise<void> {
    if (await this.queue.fail(lease, message, code)) await this.discard(job, log);
  }

  private async discard(job: Conversion, log: Logger): Promise<void> {
    await dropWorkingData(this.dataSource, this.store, job).catch((err) => log.error(`Could not clean up after ${job.id}`, err));
  }

  private sleep(ms = this.options.pollMs): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/** 0.5 s, 1 s, 2 s … up to 10 s between attempts to reach the database. */
function backoffMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5));
}
