import pg from 'pg';
import type { Logger } from '../logger';
import { InProcessBus } from './in-process-bus';
import type { ProgressBus } from './progress-bus';

const CHANNEL = 'coord2region_progress';

/**
 * Progress across instances through PostgreSQL LISTEN/NOTIFY: a worker in one process, a
 * subscriber in another. Local listeners are served by an in-process bus fed from the channel,
 * so a process also hears its own notifications exactly once (through PostgreSQL).
 */
export class PgNotifyBus implements ProgressBus {
  private readonly local = new InProcessBus();
  private closed = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly log: Logger,
  ) {}

  static async connect(url: string, log: Logger): Promise<PgNotifyBus> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const bus = new PgNotifyBus(client, log);
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload) bus.local.publish(msg.payload);
    });
    client.on('error', (err) => log.error('Progress channel connection failed; subscribers fall back to polling', err));
    await client.query(`LISTEN ${CHANNEL}`);
    return bus;
  }

  publish(conversionId: string): void {
    if (this.closed) return;
    this.client.query('SELECT pg_notify($1, $2)', [CHANNEL, conversionId]).catch((err) => {
      this.log.error('Could not publish progress', err);
    });
  }

  subscribe(conversionId: string, listener: () => void): () => void {
    return this.local.subscribe(conversionId, listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.local.close();
    await this.client.end().catch(() => {});
  }
}
