import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One administrative polygon. `names`/`codes` hold the whole path from level 1 down to this one
 * (computed at import from the code hierarchy), so a lookup needs only the deepest match.
 * The geometry column is written and queried with SQL only, so it is not mapped here.
 */
@Entity({ name: 'boundaries' })
export class Boundary {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer', name: 'set_id' })
  setId!: number;

  @Column({ type: 'smallint' })
  level!: number;

  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'integer', name: 'parent_id', nullable: true })
  parentId!: number | null;

  @Column({ type: 'text', array: true, nullable: true })
  names!: (string | null)[] | null;

  @Column({ type: 'text', array: true, nullable: true })
  codes!: (string | null)[] | null;
}
