import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { DataSource } from 'typeorm';
import { UserInputError } from '../errors';
import type { Logger } from '../logger';
import type { Conversion } from '../entities/Conversion';
import { JobLostError, ShutdownError } from './errors';
import { isProcessAlive } from '../util/process-alive';
import type { FileStore } from './file-store';
import { dropWorkingData } from './working-data';
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
    if (this.running || this.options.slots === 0) return;
    this.running = true;
    this.loops = Array.from({ length: this.options.slots }, () => this.loop());
    this.queue.releaseDeadLocalLeases(os.hostname(), isProcessAlive).then(
      (released) => {
        if (released.length === 0) return;
        this.log.info(`Resuming ${released.length} conversion(s) left by a process that stopped without handing them back`);
        this.wake();
      },
      (err) => this.log.error('Could not check for conversions left by a stopped process', err),
    );
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
    while (this.running) {
      let job: Conversion | null = null;
      try {
        job = await this.queue.claim(this.id);
      } catch (err) {
        this.log.error('Could not claim a job', err);
      }
      if (!job) {
        await this.sleep();
        continue;
      }
      await this.execute(job);
    }
  }

  private async execute(job: Conversion): Promise<void> {
    const lease: Lease = { jobId: job.id, workerId: this.id };
    if (job.attempts > this.options.maxAttempts) {
      await this.fail(job, lease, `Stopped after ${job.attempts - 1} attempts: the worker processing this file stopped each time.`);
      return;
    }
    const controller = new AbortController();
    this.active.set(job.id, controller);
    const heartbeat = setInterval(() => {
      this.queue.renew(lease).then(
        (owned) => owned || controller.abort(new JobLostError(job.id)),
        (err) => this.log.error(`Lease renewal of ${job.id} failed`, err),
      );
    }, (this.options.leaseSeconds * 1000) / 3);
    try {
      this.log.info(`Conversion ${job.id} (${job.fileName}) started, attempt ${job.attempts}, from row ${job.processedRows}`);
      await this.runner.run(job, lease, controller.signal);
      this.log.info(`Conversion ${job.id} completed`);
    } catch (err) {
      await this.handleFailure(job, lease, err);
    } finally {
      clearInterval(heartbeat);
      this.active.delete(job.id);
    }
  }

  private async handleFailure(job: Conversion, lease: Lease, err: unknown): Promise<void> {
    if (err instanceof ShutdownError) {
      await this.queue.release(lease).catch((e) => this.log.error(`Could not release ${job.id}`, e));
      this.log.info(`Conversion ${job.id} handed back at shutdown; it resumes after its last committed chunk`);
      return;
    }
    if (err instanceof JobLostError) {
      const status = await this.queue.statusOf(job.id);
      if (status === 'CANCELLED' || status === 'EXPIRED') {
        // Cancelled or deleted: nothing it made may stay, not even an output finished in the meantime.
        await this.discard(job);
        await this.store.deleteConversionFiles({ id: job.id, uploadPath: job.uploadPath, outputPath: null }).catch(() => {});
        this.log.info(`Conversion ${job.id} ${status === 'CANCELLED' ? 'cancelled' : 'deleted'}`);
      } else {
        this.log.info(`Conversion ${job.id} was taken over by another worker`);
      }
      return;
    }
    if (!(err instanceof UserInputError)) this.log.error(`Conversion ${job.id} failed`, err);
    await this.fail(job, lease, err instanceof UserInputError ? err.message : `Internal error: ${(err as Error).message}`);
  }

  private async fail(job: Conversion, lease: Lease, message: string): Promise<void> {
    if (await this.queue.fail(lease, message)) await this.discard(job);
  }

  private async discard(job: Conversion): Promise<void> {
    await dropWorkingData(this.dataSource, this.store, job).catch((err) => this.log.error(`Could not clean up after ${job.id}`, err));
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs);
      this.sleepers.add(done);
    });
  }
}
