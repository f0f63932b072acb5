import { EventEmitter } from 'node:events';
import type { ProgressBus } from './progress-bus';

/** The default bus: subscribers and workers in this process only. */
export class InProcessBus implements ProgressBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(conversionId: string): void {
    this.emitter.emit(conversionId);
  }

  subscribe(conversionId: string, listener: () => void): () => void {
    this.emitter.on(conversionId, listener);
    return () => this.emitter.off(conversionId, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
