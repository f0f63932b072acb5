import path from 'node:path';
import type { BoundarySet } from '../entities/BoundarySet';
import type { ImportFilesResult } from './import-files';
import type { ImportPlan } from './import-plan';
import { nameReaches } from './set-service';

/** Plain-text views of an import and of the loaded sets, for the CLI (kept apart so tests can read them). */

export function describePlan(plan: ImportPlan): string[] {
  return plan.files.map((f) => {
    const encoding = f.encoding ? `, text ${f.encoding.encoding} (${f.encoding.from === 'cpg' ? '.cpg' : f.encoding.from === 'option' ? '--encoding' : 'no .cpg: default'})` : '';
    return `  ${f.level} ${f.levelName}  ${path.basename(f.file)}  [${f.recognisedAs}] ${f.codeField}/${f.nameField}, EPSG:${f.srid} from ${f.sridFrom}${encoding}, ${f.records.toLocaleString('en-US')} records`;
  });
}

export function describeResult({ report, skipped }: ImportFilesResult): string[] {
  const lines = [`Imported ${report.name} version ${report.version} (set id ${report.setId}) in ${(report.elapsedMs / 1000).toFixed(1)} s:`];
  for (const l of report.levels) {
    lines.push(`  ${l.level} ${l.name}: ${l.featureCount.toLocaleString('en-US')} features, ${l.repairedCount} repaired (invalid geometry made valid)`);
  }
  lines.push(`  orphans (no parent found by code prefix): ${report.orphans}`);
  lines.push(`  skipped records: ${skipped.length}${skipped.length ? ` (first: ${skipped[0].why})` : ''}`);
  return lines;
}

export function describeSets(sets: BoundarySet[], defaultName: string | undefined): string[] {
  if (sets.length === 0) return ['No boundary sets loaded.'];
  const newestCurrent = sets.find((s) => s.isCurrent);
  return sets.map((s) => {
    const isDefault = s.isCurrent && (defaultName ? nameReaches(defaultName, s) : s.name === newestCurrent?.name);
    const flags = [s.isCurrent ? 'current' : s.status.toLowerCase(), isDefault ? 'default' : null].filter(Boolean).join(', ');
    const levels = s.levels.map((l) => `${l.name} ${l.featureCount.toLocaleString('en-US')}`).join(' / ');
    const loaded = s.loadedAt ? s.loadedAt.toISOString().replace(/\.\d+Z$/, 'Z') : '-';
    const dated = s.validFrom ? `  valid from ${s.validFrom}` : '';
    const label = s.label ? `  label ${s.label}` : '';
    return `${s.name}@${s.version} (id ${s.id}, ${flags})  ${levels || '(no levels)'}${dated}${label}  loaded ${loaded}  source: ${s.source}`;
  });
}
