import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { S3Settings } from './storage/s3-storage';
import { parseApiKeys, type ApiKey } from './auth/api-keys';

/**
 * Everything the service can be told through the environment, parsed and checked once at start,
 * so a typo in a variable fails loudly instead of silently falling back to a default.
 */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Loopback by default; any other address needs API_KEYS (or AUTH=off), see src/auth/protected-mode.ts. */
  HOST: z.string().default('127.0.0.1'),
  /** `name:key` or `name:key:admin`, separated by commas or newlines; API_KEYS_FILE reads them from a file. */
  API_KEYS: z.string().optional(),
  API_KEYS_FILE: z.string().optional(),
  /** `off` lets the service listen beyond loopback without keys (the risk accepted explicitly). */
  AUTH: z.enum(['on', 'off']).default('on'),
  /** Secret download links are signed with; generated and stored in the database when unset. */
  DOWNLOAD_SECRET: z.string().min(16).optional(),
  DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** Completed conversions older than this lose their files and become EXPIRED. */
  RETENTION_HOURS: z.coerce.number().positive().default(168),
  /** How often the retention sweep runs (at most every minute). */
  RETENTION_SWEEP_SECONDS: z.coerce.number().min(0.1).max(60).default(60),
  MAX_ROWS: z.coerce.number().int().min(1).default(5_000_000),
  MAX_SHEETS: z.coerce.number().int().min(1).default(200),
  /**
   * Heap limit of the worker thread that parses each upload, in megabytes: a file that needs more
   * fails alone (FILE_TOO_COMPLEX) instead of taking the server down.
   */
  READER_HEAP_MB: z.coerce.number().int().min(32).default(256),
  /** Cells in one input row. */
  MAX_COLUMNS: z.coerce.number().int().min(2).default(2_000),
  /** Queued or running conversions one key may have at once (with API keys). */
  MAX_ACTIVE_CONVERSIONS: z.coerce.number().int().min(1).default(10),
  /** Largest JSON request body, in kilobytes (uploads have MAX_UPLOAD_MB). */
  MAX_JSON_KB: z.coerce.number().int().min(1).default(1024),
  /** Absolute base URL used for download links; derived from the request's Host header when unset. */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * Believe X-Forwarded-Proto/Host (for download links) only behind a reverse proxy that sets
   * them; otherwise anyone could make the service hand out links to another host.
   */
  TRUST_PROXY: z.enum(['on', 'off', 'true', 'false', '1', '0']).default('off'),
  /** A real PostgreSQL with PostGIS; without it the embedded PGlite in DATA_DIR is used. */
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().default('./.data'),
  /** Largest accepted upload, in megabytes. */
  MAX_UPLOAD_MB: z.coerce.number().positive().default(512),
  /**
   * Most rows geocoded and committed together. 50,000 rather than 100,000 since a chunk's fixed
   * PostGIS cost fell (step 3 only where it settles points): three chunks are held at once, and
   * at 1,000,000 rows the peak RSS went 357 / 350 → 330 / 333 MB (→ XLSX, medians of 3) and
   * 375 / 362 → 337 / 321 MB (→ CSV), the time unchanged or better (→ CSV 5.81 / 6.01 → 5.60 /
   * 5.67 s), interleaved on PostgreSQL.
   */
  CHUNK_ROWS: z.coerce.number().int().min(100).max(1_000_000).default(50_000),
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
  /**
   * `on`: XLSX outputs are built in a worker thread (src/writing/xlsx-thread-writer.ts). Off by
   * default: on 2 shared cores it cost more CPU and memory than it freed (README, "Writer thread").
   */
  XLSX_WRITER_THREAD: z.enum(['on', 'off']).default('off'),
  /** The GraphQL IDE a browser gets at GET /graphql; `off` in production if nobody should browse the API. */
  GRAPHQL_IDE: z.enum(['on', 'off']).default('on'),
  /**
   * Origins of other frontends allowed to call the API from a browser (comma-separated, or `*`);
   * unset: same origin only.
   */
  CORS_ORIGINS: z.string().optional(),
  LOG_LEVEL: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
  /** `json`: one JSON object per line (time, level, msg, conversionId…), for log collectors. */
  LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  /**
   * Where uploads and outputs are kept: `s3://bucket/prefix` (an S3-compatible store, with the
   * standard AWS_* variables), or unset for DATA_DIR. Instances that share no disk need S3.
   */
  STORAGE_URL: z.string().regex(/^s3:\/\/[^/]+/, 'expected s3://bucket or s3://bucket/prefix').optional(),
  /** The standard AWS variables, read here so that the configuration is complete in one place. */
  AWS_REGION: z.string().optional(),
  AWS_DEFAULT_REGION: z.string().optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  /** `presigned`: GET /downloads/:id redirects to a short-lived presigned URL of the object (S3 only). */
  DOWNLOAD_REDIRECT: z.enum(['off', 'presigned']).default('off'),
});

export interface Config {
  port: number;
  host: string;
  apiKeys: ApiKey[];
  authOff: boolean;
  downloadSecret?: string;
  downloadUrlTtlSeconds: number;
  retentionSeconds: number;
  retentionSweepMs: number;
  limits: Limits;
  publicUrl?: string;
  trustProxy: boolean;
  databaseUrl?: string;
  dataDir: string;
  maxUploadBytes: number;
  /** Heap limit of the upload-parsing worker thread (READER_HEAP_MB), in megabytes. */
  readerHeapMb?: number;
  chunkRows: number;
  workers: number;
  leaseSeconds: number;
  maxAttempts: number;
  defaultBoundarySet?: string;
  maxDistanceMeters: number;
  progressIntervalMs: number;
  interiorGrid: boolean;
  xlsxWriterThread: boolean;
  graphqlIde: boolean;
  /** Allowed cross-origin callers: exact origins, `'*'` for any, or none (same origin only). */
  corsOrigins: string[] | '*' | null;
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  logFormat: 'text' | 'json';
  storageUrl?: string;
  s3: S3Settings;
  downloadRedirect: 'off' | 'presigned';
}

/** Sizes a request or a file may not exceed; each has its own error code (README: Limits). */
export interface Limits {
  maxRows: number;
  maxSheets: number;
  maxColumns: number;
  maxActiveConversions: number;
  maxJsonBytes: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  let apiKeys: ApiKey[];
  try {
    const fromFile = e.API_KEYS_FILE ? fs.readFileSync(e.API_KEYS_FILE, 'utf8') : '';
    apiKeys = parseApiKeys([e.API_KEYS ?? '', fromFile].join('\n'));
  } catch (err) {
    throw new Error(`Invalid configuration: ${(err as Error).message}`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    apiKeys,
    authOff: e.AUTH === 'off',
    downloadSecret: e.DOWNLOAD_SECRET || undefined,
    downloadUrlTtlSeconds: e.DOWNLOAD_URL_TTL_SECONDS,
    retentionSeconds: e.RETENTION_HOURS * 3600,
    retentionSweepMs: Math.round(e.RETENTION_SWEEP_SECONDS * 1000),
    limits: {
      maxRows: e.MAX_ROWS,
      maxSheets: e.MAX_SHEETS,
      maxColumns: e.MAX_COLUMNS,
      maxActiveConversions: e.MAX_ACTIVE_CONVERSIONS,
      maxJsonBytes: e.MAX_JSON_KB * 1024,
    },
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    trustProxy: ['on', 'true', '1'].includes(e.TRUST_PROXY),
    databaseUrl: e.DATABASE_URL || undefined,
    dataDir: path.resolve(e.DATA_DIR),
    maxUploadBytes: Math.round(e.MAX_UPLOAD_MB * 1024 * 1024),
    readerHeapMb: e.READER_HEAP_MB,
    chunkRows: e.CHUNK_ROWS,
    workers: e.WORKERS,
    leaseSeconds: e.LEASE_SECONDS,
    maxAttempts: e.MAX_ATTEMPTS,
    defaultBoundarySet: e.DEFAULT_BOUNDARY_SET || undefined,
    maxDistanceMeters: e.MAX_DISTANCE_METERS,
    progressIntervalMs: e.PROGRESS_INTERVAL_MS,
    interiorGrid: e.INTERIOR_GRID === 'on',
    xlsxWriterThread: e.XLSX_WRITER_THREAD === 'on',
    graphqlIde: e.GRAPHQL_IDE === 'on',
    corsOrigins: parseCorsOrigins(e.CORS_ORIGINS),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    storageUrl: e.STORAGE_URL || undefined,
    s3: {
      region: e.AWS_REGION || e.AWS_DEFAULT_REGION || 'us-east-1',
      endpoint: e.AWS_ENDPOINT_URL_S3 || e.AWS_ENDPOINT_URL || undefined,
      credentials:
        e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
          ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, sessionToken: e.AWS_SESSION_TOKEN || undefined }
          : undefined,
    },
    downloadRedirect: e.DOWNLOAD_REDIRECT,
    ...overrides,
  };
}

/**
 * `http://localhost:5173, https://app.example.com` → their origins (scheme://host[:port], as a
 * browser sends them in Origin); `*` → any. A value that is not an origin fails at start.
 */
function parseCorsOrigins(value: string | undefined): string[] | '*' | null {
  const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) return null;
  if (items.includes('*')) return '*';
  return items.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new Error(`Invalid configuration: CORS_ORIGINS: "${item}" is not an origin like http://localhost:5173`);
    }
    if (!/^https?:$/.test(url.protocol) || url.pathname.replace(/\/$/, '') !== '' || url.search || url.hash) {
      throw new Error(`Invalid configuration: CORS_ORIGINS: "${item}" is not an origin like http://localhost:5173`);
    }
    return url.origin;
  });
}
