import type { DataSource } from 'typeorm';
import { assertKnownSrid } from './srid';
import { importBoundarySet, type ImportProgress, type ImportReport } from './import-service';
import { planImport, type ImportFilesOptions, type ImportPlan } from './import-plan';

export interface ImportFilesRequest extends ImportFilesOptions {
  /** `YYYY-MM-DD`: import as the version of the set valid from that day. */
  validFrom?: string;
  /** The set's column label beside other sets (`법정동`). */
  label?: string;
  onPlan?: (plan: ImportPlan) => void;
  onProgress?: (event: ImportProgress) => void;
  onStep?: (step: string) => void;
}

export interface ImportFilesResult {
  plan: ImportPlan;
  report: ImportReport;
  /** Records that were not imported (no polygon, no code or name), with the reason. */
  skipped: { file: string; why: string }[];
}

/**
 * Boundary files to a new set version: plan (recognise layouts, fields, CRS, encoding), check the
 * CRS is one PostGIS can transform, then import. What `npm run boundaries -- import` runs.
 */
export async function importBoundaryFiles(dataSource: DataSource, files: string[], request: ImportFilesRequest = {}): Promise<ImportFilesResult> {
  const skipped: ImportFilesResult['skipped'] = [];
  const plan = await planImport(files, {
    ...request,
    onSkip: (file, why) => {
      skipped.push({ file, why });
      request.onSkip?.(file, why);
    },
  });
  return { ...(await importPlan(dataSource, plan, request)), skipped };
}

/**
 * Imports what `planImport` decided. Separate so the CLI can check the files before it starts the
 * database (bad input fails in a second, not after the embedded database has started).
 */
export async function importPlan(dataSource: DataSource, plan: ImportPlan, request: ImportFilesRequest = {}): Promise<Omit<ImportFilesResult, 'skipped'>> {
  for (const srid of new Set(plan.files.map((f) => f.srid))) await assertKnownSrid(dataSource, srid);
  request.onPlan?.(plan);
  const report = await importBoundarySet(dataSource, {
    name: plan.name,
    source: plan.source,
    levels: plan.levels,
    validFrom: request.validFrom,
    label: request.label,
    onProgress: request.onProgress,
    onStep: request.onStep,
  });
  return { plan, report };
}
