/** The worker no longer owns the job: it was cancelled, or its lease expired and another took it. */
export class JobLostError extends Error {
  constructor(readonly conversionId: string) {
    super(`Conversion ${conversionId} is no longer owned by this worker`);
    this.name = 'JobLostError';
  }
}

/** This process is shutting down: the job is handed back, to resume elsewhere or on next start. */
export class ShutdownError extends Error {
  constructor() {
    super('Worker is shutting down');
    this.name = 'ShutdownError';
  }
}
