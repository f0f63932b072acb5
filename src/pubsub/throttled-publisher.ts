import type { ProgressBus } from './progress-bus';

/**
 * Limits progress events per conversion: chunk updates at most every `intervalMs`, while phase and
 * status changes (`force`) always go out at once. A suppressed update is sent when its interval
 * ends, so the last state before a pause is never lost.
 */
export class ThrottledPublisher {
  private readonly last = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly bus: ProgressBus,
    private readonly intervalMs = 250,
  ) {}

  publish(conversionId: string, force = false): void {
    const now = Date.now();
    const since = now - (this.last.get(conversionId) ?? 0);
    if (force || since >= this.intervalMs) {
      this.clearPending(conversionId);
      this.last.set(conversionId, now);
      this.bus.publish(conversionId);
      return;
    }
    if (this.pending.has(conversionId)) return;
    this.pending.set(
      conversionId,
      setTimeout(() => {
        this.pending.delete(conversionId);
        this.last.set(conversionId, Date.now());
        this.bus.publish(conversionId);
      }, this.intervalMs - since),
    );
  }

  /** Forget a finished conversion (its final state was published with force). */
  done(conversionId: string): void {
    this.clearPending(conversionId);
    this.last.delete(conversionId);
  }

  private clearPending(conversionId: string): void {
    const t = this.pending.get(conversionId);
    if (t) clearTimeout(t);
    this.pending.delete(conversionId);
  }

  close(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}
