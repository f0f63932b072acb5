import type { DataSource } from 'typeorm';
import { BoundarySet } from '../entities/BoundarySet';
import { UserInputError } from '../errors';

/** Finds boundary set versions: the current version of a name, or the configured default. */
export class BoundarySetService {
  private readonly labels = new Map<number, string>();

  constructor(
    private readonly dataSource: DataSource,
    readonly defaultName?: string,
  ) {}

  /** Current versions of every set, newest first. */
  listCurrent(): Promise<BoundarySet[]> {
    return this.dataSource.getRepository(BoundarySet).find({ where: { isCurrent: true }, order: { loadedAt: 'DESC', id: 'DESC' } });
  }

  /** Every version, including ones replaced by a re-import, newest first. */
  listAll(): Promise<BoundarySet[]> {
    return this.dataSource.getRepository(BoundarySet).find({ order: { name: 'ASC', version: 'DESC' } });
  }

  async hasReadySet(): Promise<boolean> {
    return (await this.dataSource.getRepository(BoundarySet).count({ where: { status: 'READY' } })) > 0;
  }

  /**
   * The set version a request means: the current version of `name`, else of DEFAULT_BOUNDARY_SET,
   * else the most recently loaded current set. Throws a user error naming the sets that exist.
   */
  async resolve(name?: string | null): Promise<BoundarySet> {
    const wanted = name ?? this.defaultName;
    const current = await this.listCurrent();
    if (current.length === 0) throw new UserInputError('No boundary set is loaded yet (the bundled one loads on first start).', 'NO_BOUNDARY_SET');
    if (!wanted) return current[0];
    const found = current.find((s) => s.name === wanted);
    if (!found) {
      throw new UserInputError(
        `Unknown boundary set "${wanted}". Loaded sets: ${current.map((s) => s.name).join(', ')}.`,
        'UNKNOWN_BOUNDARY_SET',
      );
    }
    return found;
  }

  async byId(id: number): Promise<BoundarySet | null> {
    return this.dataSource.getRepository(BoundarySet).findOneBy({ id });
  }

  /** `name@version` of a set id, for display; cached because a version's name never changes. */
  async label(id: number | null): Promise<string | null> {
    if (id === null) return null;
    let label = this.labels.get(id);
    if (!label) {
      const set = await this.byId(id);
      if (!set) return null;
      label = `${set.name}@${set.version}`;
      this.labels.set(id, label);
    }
    return label;
  }
}

/** The set's deepest level (리, or 읍면동 in a set without 리): the one points are matched at first. */
export function deepestLevel(set: BoundarySet): number {
  return Math.max(...set.levels.map((l) => l.level));
}
