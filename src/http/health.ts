import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { BoundarySetService } from '../boundaries/set-service';
import type { SqlFunctionsStatus } from '../db/function-drift';
import type { InteriorGridCache } from '../geocode/interior-grid-cache';
import type { Storage } from '../storage/storage';

/** Longest a readiness check waits for the database or the storage before calling it down. */
const CHECK_TIMEOUT_MS = 3000;

export interface HealthDeps {
  dataSource: DataSource;
  sets: BoundarySetService;
  grids: InteriorGridCache;
  storage: Storage;
  sqlFunctions: SqlFunctionsStatus;
  embedded: boolean;
}

/**
 * GET /healthz — liveness: 200 whenever the process answers (a probe that restarts instances
 * must not restart them all because the database is down). The body says how far start-up
 * has come: database migrated, boundary set loaded, whether the default set's interior grid
 * is in memory ('loading' at start, 'building' on first start: conversions work meanwhile,
 * only slower), and `sqlFunctions`, the drift check's answer at start: 'ok', or 'drift' with
 * the functions that are not the expected texts (informational).
 */
/** /healthz answers within 1 s even when the database does not (down, or every connection busy). */
const LIVENESS_TIMEOUT_MS = 900;

export function healthHandler(deps: HealthDeps) {
  return async (_req: Request, res: Response) => {
    const body: Record<string, unknown> = { status: 'ok', database: deps.embedded ? 'embedded' : 'postgresql' };
    try {
      const pending = await withTimeout(deps.dataSource.showMigrations(), 'database', LIVENESS_TIMEOUT_MS);
      const ready = await withTimeout(deps.sets.hasReadySet(), 'database', LIVENESS_TIMEOUT_MS);
      const set = ready ? await deps.sets.resolve().catch(() => null) : null;
      Object.assign(body, {
        migrated: !pending,
        boundarySetLoaded: ready,
        interiorGrid: set ? deps.grids.stateOfSet(set) : 'absent',
        sqlFunctions: deps.sqlFunctions,
      });
      if (pending || !ready) body.status = 'starting';
    } catch (err) {
      body.databaseError = (err as Error).message;
    }
    res.status(200).json(body);
  };
}

/**
 * GET /readyz — readiness, for a load balancer: 200 only while this instance can serve: the
 * database answers, its migrations are current, the default boundary set is loaded, and the
 * storage (bucket) answers. 503 otherwise, with each check's result.
 */
export function readyHandler(deps: HealthDeps) {
  return async (_req: Request, res: Response) => {
    const checks: Record<string, string> = {};
    const run = async (name: string, check: () => Promise<string | null>) => {
      try {
        const problem = await withTimeout(check(), name);
        checks[name] = problem ?? 'ok';
      } catch (err) {
        checks[name] = `unavailable: ${(err as Error).message}`;
      }
    };
    await run('database', async () => {
      await deps.dataSource.query('SELECT 1');
      return null;
    });
    if (checks.database === 'ok') {
      await run('migrations', async () => ((await deps.dataSource.showMigrations()) ? 'pending' : null));
      await run('boundarySet', async () => ((await deps.sets.hasReadySet()) ? null : 'not loaded yet'));
    }
    await run('storage', async () => {
      await deps.storage.check();
      return null;
    });
    const ready = checks.database === 'ok' && checks.migrations === 'ok' && checks.boundarySet === 'ok' && checks.storage === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', storage: deps.storage.description, checks });
  };
}

function withTimeout<T>(work: Promise<T>, what: string, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
