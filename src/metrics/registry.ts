import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { CONVERSION_STATUSES } from '../entities/Conversion';
import { sharedInstruments } from './instruments';

/**
 * What GET /metrics serves: Node's default metrics (process_*, nodejs_*, under their usual names
 * so standard dashboards work), this process's counters (instruments.ts), and gauges read from
 * the database at each scrape: conversions by status, queue depth and the oldest waiting job's
 * age. The database gauges are the same on every instance (they describe the shared queue):
 * aggregate them with max(), not sum().
 */
export function createMetricsRegistry(dataSource: DataSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of sharedInstruments) registry.registerMetric(metric);

  new Gauge({
    name: 'coord2region_conversions',
    help: 'Conversions in the database, by status.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      // While the database is down the gauges keep their last values; /readyz says it is down.
      const rows: { status: string; n: number }[] | null = await dataSource
        .query(`SELECT status, count(*)::int AS n FROM conversions GROUP BY status`)
        .catch(() => null);
      if (!rows) return;
      for (const status of CONVERSION_STATUSES) this.set({ status }, rows.find((r) => r.status === status)?.n ?? 0);
    },
  });

  // Claimable jobs: queued, or running under a lease that ran out (their worker died).
  const claimable = `status = 'QUEUED' OR (status = 'RUNNING' AND lease_expires_at < now())`;
  let queue: Promise<{ depth: number; oldest: number } | null> | null = null;
  // Both queue gauges come from one query per scrape.
  const readQueue = () =>
    (queue ??= dataSource
      .query(`SELECT count(*)::int AS depth, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest FROM conversions WHERE ${claimable}`)
      .then((rows: { depth: number; oldest: number }[]) => rows[0])
      .catch(() => null)
      .finally(() => setImmediate(() => (queue = null))));
  new Gauge({
    name: 'coord2region_queue_depth',
    help: 'Conversions waiting for a worker (queued, or held by a worker whose lease ran out).',
    registers: [registry],
    async collect() {
      const q = await readQueue();
      if (q) this.set(q.depth);
    },
  });
  new Gauge({
    name: 'coord2region_queue_oldest_age_seconds',
    help: 'How long the oldest conversion waiting for a worker has waited since it was uploaded (0 when none waits).',
    registers: [registry],
    async collect() {
      const q = await readQueue();
      if (q) this.set(q.oldest);
    },
  });
  return registry;
}
