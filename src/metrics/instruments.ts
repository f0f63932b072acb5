import { Counter, Histogram, type Metric } from 'prom-client';
import type { PhaseTimings } from '../entities/Conversion';

/**
 * The counters this process keeps (Prometheus counts them per instance and sums them). They
 * belong to no registry here: each server's /metrics registry (metrics/registry.ts) registers
 * them, so code anywhere can count without being handed a registry.
 */
export const rowsProcessed = new Counter({
  name: 'coord2region_rows_processed_total',
  help: 'Rows geocoded and committed by this instance, by result (OK, NEAREST, NO_MATCH, INVALID).',
  labelNames: ['result'] as const,
  registers: [],
});

export const phaseDuration = new Histogram({
  name: 'coord2region_phase_duration_seconds',
  help: 'Time a completed conversion spent in each phase (analyze, read, geocode, write) and in all (total).',
  labelNames: ['phase'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300, 600],
  registers: [],
});

export const uploadBytes = new Counter({
  name: 'coord2region_upload_bytes_total',
  help: 'Bytes of uploaded files received by this instance (conversions and previews).',
  registers: [],
});

export const storageErrors = new Counter({
  name: 'coord2region_storage_errors_total',
  help: 'Storage requests that failed (unreachable, refused), by operation.',
  labelNames: ['operation'] as const,
  registers: [],
});

export const sharedInstruments: Metric[] = [rowsProcessed, phaseDuration, uploadBytes, storageErrors] as Metric[];

/** A committed chunk's counts, as countResults gives them (matched includes nearest). */
export function countRows(c: { matched: number; nearest: number; unmatched: number; invalid: number }): void {
  rowsProcessed.inc({ result: 'OK' }, c.matched - c.nearest);
  rowsProcessed.inc({ result: 'NEAREST' }, c.nearest);
  rowsProcessed.inc({ result: 'NO_MATCH' }, c.unmatched);
  rowsProcessed.inc({ result: 'INVALID' }, c.invalid);
}

/** A completed conversion's phase times (this attempt's; a resumed job's earlier attempts are not in them). */
export function observePhases(t: PhaseTimings): void {
  phaseDuration.observe({ phase: 'analyze' }, t.analyzeMs / 1000);
  phaseDuration.observe({ phase: 'read' }, t.readMs / 1000);
  phaseDuration.observe({ phase: 'geocode' }, t.geocodeMs / 1000);
  phaseDuration.observe({ phase: 'write' }, t.writeMs / 1000);
  phaseDuration.observe({ phase: 'total' }, t.totalMs / 1000);
}
