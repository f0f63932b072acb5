import path from 'node:path';
import { z } from 'zod';

/**
 * Everything the service can be told through the environment, parsed and checked once at start,
 * so a typo in a variable fails loudly instead of silently falling back to a default.
 */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  /** Absolute base URL used for download links; derived from the request's Host header when unset. */
  PUBLIC_URL: z.string().url().optional(),
  /** A real PostgreSQL with PostGIS; without it the embedded PGlite in DATA_DIR is used. */
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().default('./.data'),
  /** Largest accepted upload, in megabytes. */
  MAX_UPLOAD_MB: z.coerce.number().positive().default(512),
  /** Rows geocoded and committed together: bigger chunks are faster, smaller ones report progress more often. */
  CHUNK_ROWS: z.coerce.number().int().min(100).max(1_000_000).default(100_000),
  /** How many conversions this process works on at once (0 disables the worker: API only). */
  WORKERS: z.coerce.number().int().min(0).max(32).default(1),
  /** A claimed job whose lease is not renewed for this long is taken over by another worker. */
  LEASE_SECONDS: z.coerce.number().int().min(5).default(60),
  /** A job is failed for good after this many claims (protects against files that kill the process). */
  MAX_ATTEMPTS: z.coerce.number().int().min(1).default(3),
  /** Name of the boundary set used when a request names none; the newest set when unset. */
  DEFAULT_BOUNDARY_SET: z.string().optional(),
  /** Distance within which a point outside every polygon still gets the nearest region. */
  MAX_DISTANCE_METERS: z.coerce.number().min(0).default(200),
  /** Least time between two progress events of one conversion (phase changes are always sent). */
  PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).default(250),
  /** Match points in cells wholly inside one polygon without PostGIS (see src/geocode/interior-grid.ts). */
  INTERIOR_GRID: z.enum(['on', 'off']).default('on'),
  LOG_LEVEL: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  publicUrl?: string;
  databaseUrl?: string;
  dataDir: string;
  maxUploadBytes: number;
  chunkRows: number;
  workers: number;
  leaseSeconds: number;
  maxAttempts: number;
  defaultBoundarySet?: string;
  maxDistanceMeters: number;
  progressIntervalMs: number;
  interiorGrid: boolean;
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    databaseUrl: e.DATABASE_URL || undefined,
    dataDir: path.resolve(e.DATA_DIR),
    maxUploadBytes: Math.round(e.MAX_UPLOAD_MB * 1024 * 1024),
    chunkRows: e.CHUNK_ROWS,
    workers: e.WORKERS,
    leaseSeconds: e.LEASE_SECONDS,
    maxAttempts: e.MAX_ATTEMPTS,
    defaultBoundarySet: e.DEFAULT_BOUNDARY_SET || undefined,
    maxDistanceMeters: e.MAX_DISTANCE_METERS,
    progressIntervalMs: e.PROGRESS_INTERVAL_MS,
    interiorGrid: e.INTERIOR_GRID === 'on',
    logLevel: e.LOG_LEVEL,
    ...overrides,
  };
}
