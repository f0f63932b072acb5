import pg from 'pg';
import type { Logger } from '../logger';
import { InProcessBus } from './in-process-bus';
import type { ProgressBus } from './progress-bus';

const CHANNEL = 'coord2region_progress';
const MAX_RECONNECT_DELAY_MS = 10_000;

/**
 * Progress across instances through PostgreSQL LISTEN/NOTIFY: a worker in one process, a
 * subscriber in another. Local listeners are served by an in-process bus fed from the channel,
 * so a process also hears its own notifications exactly once (through PostgreSQL).
 *
 * The listening connection is re-opened with backoff whenever it is lost (a restart, a
 * terminated backend); meanwhile publishes are dropped (subscribers poll) and local
 * subscribers are told once it is back, since they may have missed notifications.
 */
export class PgNotifyBus implements ProgressBus {
  private readonly local = new InProcessBus();
  private closed = false;
  private client: pg.Client | null = null;
  private reconnecting: NodeJS.Timeout | null = null;
  private failures = 0;
  private readonly watched = new Map<string, number>();

  private constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  static async connect(url: string, log: Logger): Promise<PgNotifyBus> {
    const bus = new PgNotifyBus(url, log);
    await bus.open();
    return bus;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== null;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = null;
      client.end().catch(() => {});
      if (this.closed) return;
      if (this.failures === 0) this.log.error('Progress channel connection lost; reconnecting (subscribers poll meanwhile)', err);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload) this.local.publish(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      onLost(err as Error);
      throw err;
    }
    if (lost) return;
    this.client = client;
    if (this.failures > 0) {
      this.log.info('Progress channel reconnected');
      // Whatever was published while the channel was down: let every watcher re-read its state.
      for (const id of this.watched.keys()) this.local.publish(id);
    }
    this.failures = 0;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnecting) return;
    const delay = Math.min(MAX_RECONNECT_DELAY_MS, 250 * 2 ** Math.min(this.failures, 6));
    this.failures++;
    this.reconnecting = setTimeout(() => {
      this.reconnecting = null;
      this.open().catch(() => {});
    }, delay);
  }

  publish(conversionId: string): void {
    const client = this.client;
    if (this.closed || !client) return;
    client.query('SELECT pg_notify($1, $2)', [CHANNEL, conversionId]).catch(() => {
      // The connection's own error handler reconnects; subscribers poll meanwhile.
    });
  }

  subscribe(conversionId: string, listener: () => void): () => void {
    this.watched.set(conversionId, (this.watched.get(conversionId) ?? 0) + 1);
    const unsubscribe = this.local.subscribe(conversionId, listener);
    return () => {
      unsubscribe();
      const left = (this.watched.get(conversionId) ?? 1) - 1;
      if (left > 0) this.watched.set(conversionId, left);
      else this.watched.delete(conversionId);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnecting) clearTimeout(this.reconnecting);
    await this.local.close();
    await this.client?.end().catch(() => {});
  }
}
