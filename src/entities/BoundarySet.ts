import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export interface BoundaryLevelInfo {
  level: number;
  /** Column name used in the output, e.g. 시도, 시군구, 읍면동, 리. */
  name: string;
  featureCount: number;
  /** Polygons that were invalid as stored and were repaired with ST_MakeValid. */
  repairedCount: number;
}

export type BoundarySetStatus = 'LOADING' | 'READY' | 'RETIRED';

/**
 * One imported version of a named boundary set. Re-importing a name creates a new version and flips
 * `isCurrent` in one transaction, so running conversions keep the version they pinned.
 */
@Entity({ name: 'boundary_sets' })
export class BoundarySet {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  source!: string;

  @Column({ type: 'integer', name: 'source_srid' })
  sourceSrid!: number;

  @Column({ type: 'jsonb' })
  levels!: BoundaryLevelInfo[];

  @Column({ type: 'text' })
  status!: BoundarySetStatus;

  @Column({ type: 'boolean', name: 'is_current', default: false })
  isCurrent!: boolean;

  /**
   * The day this version starts to apply, as `YYYY-MM-DD` (it applies until the next version of
   * the name starts); null for an undated set.
   */
  @Column({ type: 'date', name: 'valid_from', nullable: true })
  validFrom!: string | null;

  /** Names the set's columns when a conversion uses several sets: `읍면동(법정동)`. */
  @Column({ type: 'text', nullable: true })
  label!: string | null;

  @Column({ type: 'timestamptz', name: 'loaded_at', nullable: true })
  loadedAt!: Date | null;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
