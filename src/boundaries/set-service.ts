import type { DataSource } from 'typeorm';
import { BoundarySet } from '../entities/BoundarySet';
import { UserInputError } from '../errors';

/** One version of a set as a conversion uses it: its id and the day it starts to apply (null: undated). */
export interface SetVersionRef {
  id: number;
  validFrom: string | null;
}

/**
 * A set as a request names it: its current versions, oldest first (one for an undated set, one
 * per start day for a dated one), and its column label.
 */
export interface ResolvedSet {
  name: string;
  label: string | null;
  versions: SetVersionRef[];
}

/** `kostat-2018`: the name of a dated set and a year, reaching the version that starts in that year. */
const YEAR_ALIAS = /^(.+)-(\d{4})$/;

/**
 * The version of a set valid on `day` (YYYY-MM-DD): the last one that started on or before it.
 * A day before the first version gets the first; no day gets the newest.
 */
export function versionAt<V extends SetVersionRef>(versions: V[], day: string | null | undefined): V {
  if (!day) return versions[versions.length - 1];
  let chosen = versions[0];
  for (const v of versions) if (v.validFrom !== null && v.validFrom <= day) chosen = v;
  return chosen;
}

/** How a version is named for people: `kostat 2013-01-01` for a dated version, else the set's name. */
export function versionName(name: string, validFrom: string | null): string {
  return validFrom ? `${name} ${validFrom}` : name;
}

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
  async resolve(name?: string | null, asOf?: string | null): Promise<BoundarySet> {
    const { set, versions } = await this.resolveVersions(name);
    const chosen = versionAt(versions.map((v) => ({ id: v.id, validFrom: v.validFrom, set: v })), asOf);
    return chosen.set ?? set;
  }

  /**
   * The set a request names (or the default) with its versions, for conversions: one entry per
   * set, each version its own id. `kostat-2018` reaches the 2018 version of `kostat` alone.
   */
  async resolveSet(name?: string | null): Promise<ResolvedSet> {
    const { set, versions } = await this.resolveVersions(name);
    return { name: name ?? set.name, label: set.label, versions: versions.map((v) => ({ id: v.id, validFrom: v.validFrom })) };
  }

  private async resolveVersions(name?: string | null): Promise<{ set: BoundarySet; versions: BoundarySet[] }> {
    const wanted = name ?? this.defaultName;
    const current = await this.listCurrent();
    if (current.length === 0) throw new UserInputError('No boundary set is loaded yet (the bundled one loads on first start).', 'NO_BOUNDARY_SET');
    const named = wanted ? versionsOf(current, wanted) : versionsOf(current, current[0].name);
    if (named.length === 0) {
      const names = [...new Set(current.map((s) => s.name))];
      throw new UserInputError(`Unknown boundary set "${wanted}". Loaded sets: ${names.join(', ')}.`, 'UNKNOWN_BOUNDARY_SET');
    }
    return { set: named[named.length - 1], versions: named };
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
      label = displayName(set);
      this.labels.set(id, label);
    }
    return label;
  }
}

/** `name@version`, and for a dated version `name-YYYY@version` (the name that reaches it alone). */
export function displayName(set: Pick<BoundarySet, 'name' | 'version' | 'validFrom'>): string {
  return set.validFrom ? `${set.name}-${set.validFrom.slice(0, 4)}@${set.version}` : `${set.name}@${set.version}`;
}

/** Whether a request's set name reaches this version (its own name, or `name-YYYY` for a dated one). */
export function nameReaches(wanted: string, set: Pick<BoundarySet, 'name' | 'validFrom'>): boolean {
  if (set.name === wanted) return true;
  const alias = YEAR_ALIAS.exec(wanted);
  return Boolean(alias && set.validFrom && alias[1] === set.name && set.validFrom.startsWith(alias[2]));
}

/** The current versions a name reaches, oldest first. */
function versionsOf(current: BoundarySet[], wanted: string): BoundarySet[] {
  const exact = current.filter((s) => s.name === wanted);
  const found = exact.length > 0 ? exact : current.filter((s) => nameReaches(wanted, s));
  return found.sort((a, b) => (a.validFrom ?? '').localeCompare(b.validFrom ?? '') || a.id - b.id);
}

/** The set's deepest level (리, or 읍면동 in a set without 리): the one points are matched at first. */
export function deepestLevel(set: BoundarySet): number {
  return Math.max(...set.levels.map((l) => l.level));
}
