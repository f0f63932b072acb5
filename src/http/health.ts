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
/**
 * /healthz answers within 1 s even when the database does not (down, or busy with a long
 * statement): all its queries together get this long, and the rest of the second is left for the
 * event loop and the network.
 */
const LIVENESS_TIMEOUT_MS = 600;

export function healthHandler(deps: HealthDeps) {
  // Once the database has been seen migrated with a set loaded, one query (the default set) says
  // both again and that the database answers: a probe every few seconds costs one query, not three.
  let settled = false;
  const look = async (): Promise<Record<string, unknown>> => {
    if (settled) {
      const set = await deps.sets.resolve();
      return { migrated: true, boundarySetLoaded: true, interiorGrid: deps.grids.stateOfSet(set) };
    }
    const pending = await deps.dataSource.showMigrations();
    const ready = await deps.sets.hasReadySet();
    const set = ready ? await deps.sets.resolve().catch(() => null) : null;
    if (!pending && set) settled = true;
    return { migrated: !pending, boundarySetLoaded: ready, interiorGrid: set ? deps.grids.stateOfSet(set) : 'absent', ...(pending || !ready ? { status: 'starting' } : {}) };
  };
  return async (_req: Request, res: Response) => {
    const body: Record<string, unknown> = { status: 'ok', database: deps.embedded ? 'embedded' : 'postgresql', sqlFunctions: deps.sqlFunctions };
    try {
      Object.assign(body, await withTimeout(look(), 'database', LIVENESS_TIMEOUT_MS));
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
