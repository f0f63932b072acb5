import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** EXPIRED: was COMPLETED, and its files were deleted (retention or deleteConversion). */
export const CONVERSION_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'] as const;
export type ConversionStatus = (typeof CONVERSION_STATUSES)[number];
export const TERMINAL_STATUSES: readonly ConversionStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'];

/** What the worker is doing inside RUNNING; QUEUED/terminal conversions carry their own phase too. */
export const CONVERSION_PHASES = ['WAITING', 'ANALYZING', 'GEOCODING', 'FINISHING', 'DONE'] as const;
export type ConversionPhase = (typeof CONVERSION_PHASES)[number];

export const OUTPUT_FORMATS = ['XLSX', 'CSV'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Options as the user gave them (validated), stored so a resumed job reads the file the same way. */
export interface StoredConversionOptions {
  xColumn?: string;
  yColumn?: string;
  srid?: number;
  sheets?: string[];
  outputFormat: OutputFormat;
  /** Words of 결과 and 비고: Korean (absent, 'KO') or English ('EN'). */
  outputLanguage?: 'KO' | 'EN';
  boundarySet?: string;
  /** Several sets in one pass, each with its group of columns; the first set's columns keep the plain names. */
  boundarySets?: string[];
  /** `YYYY-MM-DD`: dated sets use the version valid that day (rows without their own date). */
  asOf?: string;
  /** The column rows are dated by (header text, letter or 1-based number); else detected. */
  dateColumn?: string;
  maxDistanceMeters?: number;
}

/** The sets a conversion uses, pinned when it starts: each with its versions (ids), oldest first. */
export interface BoundaryPlan {
  sets: { name: string; label: string | null; versions: { id: number; validFrom: string | null }[] }[];
}

/** What the analysis of the file decided: recorded so the user can see it and resumes repeat it. */
export interface DetectedLayout {
  format: 'CSV' | 'XLSX';
  encoding?: string;
  delimiter?: string;
  srid: number;
  sheets: DetectedSheet[];
  notes: string[];
  /** The sets and versions pinned for the conversion (absent on layouts stored before several sets). */
  boundaryPlan?: BoundaryPlan;
}

export interface DetectedSheet {
  name: string;
  /**
   * 0-based index of the header row within the sheet (rows above it are kept as they are);
   * -1 when the table starts with data and has no header.
   */
  headerRow: number;
  header: string[];
  /** 0-based column indexes; null when the sheet has no coordinates and is copied through. */
  xIndex: number | null;
  yIndex: number | null;
  dataRows: number;
  /** EPSG code of this sheet's coordinates (sheets may differ); absent on layouts stored before it existed. */
  srid?: number | null;
  /** How the coordinate columns were found: from the options, a header naming them, or their values. */
  foundBy?: 'OPTIONS' | 'HEADER' | 'VALUES' | null;
  /** The columns' labels or order said (y, x) and the values were read the other way round. */
  swapped?: boolean;
  /** 0-based index of the column that dates each row (dated boundary versions), when there is one. */
  dateIndex?: number | null;
  /** The latest day among the dated rows the analysis saw, `YYYY-MM-DD` (for the boundaries' age warning). */
  latestDay?: string | null;
}

export interface PhaseTimings {
  analyzeMs: number;
  readMs: number;
  geocodeMs: number;
  writeMs: number;
  totalMs: number;
  /** Rows the interior grid matched without a PostGIS test (absent in timings stored before it). */
  gridMatchedRows?: number;
}

@Entity({ name: 'conversions' })
export class Conversion {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** Name of the API key that created it; null when the service runs without keys. */
  @Column({ type: 'text', nullable: true })
  owner!: string | null;

  @Column({ type: 'text', name: 'file_name' })
  fileName!: string;

  /** Storage key of the upload (`uploads/<id>`); removed from storage once the conversion ends. */
  @Column({ type: 'text', name: 'upload_key' })
  uploadKey!: string;

  @Column({ type: 'bigint', name: 'file_size', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  fileSize!: number;

  @Column({ type: 'jsonb' })
  options!: StoredConversionOptions;

  @Column({ type: 'text' })
  status!: ConversionStatus;

  @Column({ type: 'text' })
  phase!: ConversionPhase;

  @Column({ type: 'integer', name: 'total_rows', nullable: true })
  totalRows!: number | null;

  @Column({ type: 'integer', name: 'processed_rows', default: 0 })
  processedRows!: number;

  /** Rows read (and geocoded or waiting to be) so far, for progress within a chunk. */
  @Column({ type: 'integer', name: 'read_rows', default: 0 })
  readRows!: number;

  /** Rows written to the output so far. */
  @Column({ type: 'integer', name: 'written_rows', default: 0 })
  writtenRows!: number;

  @Column({ type: 'integer', name: 'matched_rows', default: 0 })
  matchedRows!: number;

  @Column({ type: 'integer', name: 'nearest_rows', default: 0 })
  nearestRows!: number;

  @Column({ type: 'integer', name: 'unmatched_rows', default: 0 })
  unmatchedRows!: number;

  @Column({ type: 'integer', name: 'invalid_rows', default: 0 })
  invalidRows!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** The code of `error` (NO_COORDINATES, AMBIGUOUS_SRID, …; INTERNAL for the rest). */
  @Column({ type: 'text', name: 'error_code', nullable: true })
  errorCode!: string | null;

  @Column({ type: 'integer', name: 'boundary_set_id', nullable: true })
  boundarySetId!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  detected!: DetectedLayout | null;

  /** Storage key of the finished file (`outputs/<id>.xlsx`), set when COMPLETED. */
  @Column({ type: 'text', name: 'output_key', nullable: true })
  outputKey!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  timings!: PhaseTimings | null;

  @Column({ type: 'text', name: 'worker_id', nullable: true })
  workerId!: string | null;

  @Column({ type: 'timestamptz', name: 'lease_expires_at', nullable: true })
  leaseExpiresAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'started_at', nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true })
  finishedAt!: Date | null;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
