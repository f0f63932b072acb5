import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { BoundarySetService } from '../boundaries/set-service';
import type { SqlFunctionsStatus } from '../db/function-drift';
import type { InteriorGridCache } from '../geocode/interior-grid-cache';

/**
 * GET /healthz — 200 once the database answers, is migrated and has a boundary set; 503 before.
 * `interiorGrid` tells whether the default set's grid is in memory ('loading' from the database at
 * start, 'building' on first start: conversions work meanwhile, only slower). `sqlFunctions` is the
 * drift check's answer at start: 'ok', or 'drift' with the functions that are not the expected
 * texts (informational: the status stays 200).
 */
export function healthHandler(
  dataSource: DataSource,
  sets: BoundarySetService,
  grids: InteriorGridCache,
  sqlFunctions: SqlFunctionsStatus,
  embedded: boolean,
) {
  return async (_req: Request, res: Response) => {
    try {
      const pending = await dataSource.showMigrations();
      const ready = await sets.hasReadySet();
      const set = ready ? await sets.resolve().catch(() => null) : null;
      const body = {
        database: embedded ? 'embedded' : 'postgresql',
        migrated: !pending,
        boundarySetLoaded: ready,
        interiorGrid: set ? grids.stateOfSet(set) : 'absent',
        sqlFunctions,
      };
      res.status(!pending && ready ? 200 : 503).json({ status: !pending && ready ? 'ok' : 'starting', ...body });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', error: (err as Error).message });
    }
  };
}
