import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { BoundarySetService } from '../boundaries/set-service';

/** GET /healthz — 200 once the database answers, is migrated and has a boundary set; 503 before. */
export function healthHandler(dataSource: DataSource, sets: BoundarySetService, embedded: boolean) {
  return async (_req: Request, res: Response) => {
    try {
      const pending = await dataSource.showMigrations();
      const ready = await sets.hasReadySet();
      const body = { database: embedded ? 'embedded' : 'postgresql', migrated: !pending, boundarySetLoaded: ready };
      res.status(!pending && ready ? 200 : 503).json({ status: !pending && ready ? 'ok' : 'starting', ...body });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', error: (err as Error).message });
    }
  };
}
