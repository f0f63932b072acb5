import type { DataSource } from 'typeorm';
import type { BoundaryLevelInfo } from '../entities/BoundarySet';
import { PolygonBoxes } from './polygon-boxes';

export interface CatalogEntry {
  id: number;
  level: number;
  code: string;
  /** Names indexed by level (1-based, as in the database): names[3] is the 읍면동 name. */
  names: (string | null)[];
  codes: (string | null)[];
  /** The names of the path joined by single spaces, e.g. `서울특별시 종로구 사직동`. */
  address: string;
}

type BoxRow = { id: number; xmin: number; ymin: number; xmax: number; ymax: number };

/**
 * All polygons of one set version by id, with their name paths (what the writer needs to turn a
 * stored boundary id into output columns) and their bounding boxes (what the geocoder uses to
 * leave polygons out of a chunk's join). A READY set version never changes, so it is loaded once
 * (about 10,000 small entries for the largest official set) and kept.
 */
export class BoundaryCatalog {
  private readonly boxesByLevel = new Map<number, PolygonBoxes>();

  private constructor(
    readonly setId: number,
    readonly levels: BoundaryLevelInfo[],
    private readonly byId: Map<number, CatalogEntry>,
    private readonly boxRows: Map<number, BoxRow[]>,
  ) {}

  static async load(dataSource: DataSource, setId: number): Promise<BoundaryCatalog> {
    const [set] = await dataSource.query(`SELECT levels FROM boundary_sets WHERE id = $1`, [setId]);
    if (!set) throw new Error(`Boundary set ${setId} does not exist`);
    const rows: ({ level: number; code: string; names: (string | null)[]; codes: (string | null)[] } & BoxRow)[] = await dataSource.query(
      `SELECT id, level, code, names, codes, ST_XMin(geom) AS xmin, ST_YMin(geom) AS ymin, ST_XMax(geom) AS xmax, ST_YMax(geom) AS ymax
         FROM boundaries WHERE set_id = $1`,
      [setId],
    );
    const boxRows = new Map<number, BoxRow[]>();
    const byId = new Map<number, CatalogEntry>();
    for (const r of rows) {
      // node-postgres returns 1-based PG arrays as 0-based JS arrays: shift back so names[level] works.
      const names = [null, ...r.names];
      const codes = [null, ...r.codes];
      byId.set(r.id, {
        id: r.id,
        level: r.level,
        code: r.code,
        names,
        codes,
        address: names.filter((n): n is string => Boolean(n)).join(' '),
      });
      const box = { id: r.id, xmin: r.xmin, ymin: r.ymin, xmax: r.xmax, ymax: r.ymax };
      const ofLevel = boxRows.get(r.level);
      if (ofLevel) ofLevel.push(box);
      else boxRows.set(r.level, [box]);
    }
    const levels = (set.levels as BoundaryLevelInfo[]).slice().sort((a, b) => a.level - b.level);
    return new BoundaryCatalog(setId, levels, byId, boxRows);
  }

  /** The set's levels, deepest first: the order the geocoder matches them in. */
  get levelsDeepestFirst(): number[] {
    return this.levels.map((l) => l.level).reverse();
  }

  /** The bounding boxes of a level's polygons, indexed on first use. */
  boxes(level: number): PolygonBoxes {
    let boxes = this.boxesByLevel.get(level);
    if (!boxes) {
      boxes = PolygonBoxes.fromRows(this.boxRows.get(level) ?? []);
      this.boxesByLevel.set(level, boxes);
    }
    return boxes;
  }

  get(id: number): CatalogEntry | undefined {
    return this.byId.get(id);
  }

  entries(): IterableIterator<CatalogEntry> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }
}

/** Keeps one catalog per set version; versions are immutable so entries never go stale. */
export class CatalogCache {
  private readonly loaded = new Map<number, Promise<BoundaryCatalog>>();

  constructor(private readonly dataSource: DataSource) {}

  get(setId: number): Promise<BoundaryCatalog> {
    let entry = this.loaded.get(setId);
    if (!entry) {
      entry = BoundaryCatalog.load(this.dataSource, setId);
      entry.catch(() => this.loaded.delete(setId));
      this.loaded.set(setId, entry);
    }
    return entry;
  }
}
