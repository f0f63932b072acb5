import type { DataSource } from 'typeorm';
import type { BoundarySet } from '../entities/BoundarySet';
import type { Logger } from '../logger';
import { GRID_FORMAT, InteriorGrid } from './interior-grid';
import { buildInteriorGrid } from './interior-grid-build';
import { readPrebuiltGrid } from './prebuilt-grid';

export type GridState = 'ready' | 'loading' | 'building' | 'failed' | 'absent' | 'off';

interface Entry {
  state: GridState;
  grid: InteriorGrid | null;
  /** Settles when the grid is loaded or built (or the build failed or was stopped). */
  done: Promise<void>;
}

/**
 * The interior grids this process has in memory, one per set (a mosaic of all its levels, see
 * interior-grid-build.ts). A grid is an accelerator,
 * never a requirement: until it is ready every point goes through PostGIS, so a conversion never
 * waits for a build. `prepare` loads a stored grid (milliseconds) or, when there is none, builds
 * one in the background and stores it for later starts and other instances.
 */
export class InteriorGridCache {
  private readonly entries = new Map<number, Entry>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly dataSource: DataSource,
    private readonly log: Logger,
    /** INTERIOR_GRID=off: every point goes through PostGIS. */
    private readonly enabled = true,
  ) {}

  /** The grid, when it is in memory; null while it loads or builds. */
  get(setId: number): InteriorGrid | null {
    return this.entries.get(setId)?.grid ?? null;
  }

  state(setId: number): GridState {
    if (!this.enabled) return 'off';
    return this.entries.get(setId)?.state ?? 'absent';
  }

  /**
   * Starts loading or building the grid unless that has begun already. The returned promise
   * settles when the grid is ready (or could not be made); callers that only want to start it
   * need not wait.
   */
  prepare(setId: number): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    let entry = this.entries.get(setId);
    if (!entry) {
      entry = { state: 'loading', grid: null, done: Promise.resolve() };
      const e = entry;
      e.done = this.loadOrBuild(setId, e).then(
        (grid) => {
          e.grid = grid;
          e.state = grid ? 'ready' : 'absent';
        },
        (err) => {
          e.state = 'failed';
          if (!this.stopping.signal.aborted) this.log.error(`Could not build the interior grid of boundary set ${setId}; its points all go through PostGIS`, err);
        },
      );
      this.entries.set(setId, entry);
    }
    return entry.done;
  }

  prepareSet(set: BoundarySet): Promise<void> {
    return this.prepare(set.id);
  }

  stateOfSet(set: BoundarySet): GridState {
    return this.state(set.id);
  }

  /** Stops builds in progress and waits for them, so the database can close. */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.entries.values()].map((e) => e.done));
  }

  private async loadOrBuild(setId: number, entry: Entry): Promise<InteriorGrid | null> {
    const stored = await this.load(setId);
    if (stored) return stored;
    const t = Date.now();
    // A bundled set's grid ships prebuilt (data/boundaries, see prebuilt-grid.ts): stored like a
    // built one, so later starts and other instances load it from the database.
    const prebuilt = await readPrebuiltGrid(this.dataSource, setId).catch((err) => {
      this.log.warn(`Could not read the prebuilt interior grid of boundary set ${setId}; building it`, err);
      return null;
    });
    if (prebuilt) {
      await this.store(setId, prebuilt, 0, Date.now() - t);
      this.log.info(`Interior grid of boundary set ${setId}: prebuilt, loaded in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      return prebuilt;
    }
    entry.state = 'building';
    this.log.info(`Building the interior grid of boundary set ${setId} (once per set; conversions meanwhile use PostGIS alone)…`);
    const { grid, coveredCells } = await buildInteriorGrid(this.dataSource, setId, this.stopping.signal);
    const ms = Date.now() - t;
    await this.store(setId, grid, coveredCells, ms);
    this.log.info(`Interior grid of boundary set ${setId}: ${coveredCells} covered cells, ${(grid.slots.byteLength / 2 ** 20).toFixed(1)} MB, built in ${(ms / 1000).toFixed(1)} s`);
    return grid;
  }

  private async store(setId: number, grid: InteriorGrid, coveredCells: number, ms: number): Promise<void> {
    // Another instance may have stored the same grid meanwhile; either copy is right.
    await this.dataSource.query(
      `INSERT INTO boundary_grids (set_id, level, format, cells, build_ms, tree) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [setId, GRID_LEVEL_ALL, GRID_FORMAT, coveredCells, ms, grid.toBuffer()],
    );
  }

  /**
   * Reads a stored grid in slices: bytea arrives as hex text, and one 20 MB value would cost the
   * process ~100 MB of strings at once, kept by V8 as heap for the rest of its life.
   */
  private async load(setId: number): Promise<InteriorGrid | null> {
    const where = `WHERE set_id = $1 AND level = $2 AND format = $3`;
    const params = [setId, GRID_LEVEL_ALL, GRID_FORMAT];
    const rows: { bytes: number }[] = await this.dataSource.query(`SELECT length(tree) AS bytes FROM boundary_grids ${where}`, params);
    if (rows.length === 0) return null;
    const slots = new Int32Array(rows[0].bytes / 4);
    const bytes = Buffer.from(slots.buffer);
    for (let offset = 0; offset < bytes.length; offset += LOAD_SLICE_BYTES) {
      const [{ part }]: { part: Buffer }[] = await this.dataSource.query(
        `SELECT substring(tree FROM $4::int FOR $5::int) AS part FROM boundary_grids ${where}`,
        [...params, offset + 1, LOAD_SLICE_BYTES],
      );
      part.copy(bytes, offset);
    }
    return new InteriorGrid(slots);
  }
}

/** boundary_grids.level of a set's grid: it holds every level (the column dates from one grid per level). */
const GRID_LEVEL_ALL = 0;
const LOAD_SLICE_BYTES = 1 << 18;
