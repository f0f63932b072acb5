import { nameReaches } from '../boundaries/set-service';
import type { BoundarySet } from '../entities/BoundarySet';
import type { Conversion } from '../entities/Conversion';
import { columnLabel } from '../detection/columns';
import {
  type BoundarySetType,
  type ColumnSourceEnum,
  type ConversionPhaseEnum,
  type ConversionStatusEnum,
  type ConversionType,
  type OutputFormatEnum,
} from './types';

/** Entity → API shape. `downloadUrl` is the signed link to use once it is COMPLETED; `boundarySetLabel` is `name@version`. */
export function toConversionType(c: Conversion, downloadUrl: string, boundarySetLabel: string | null): ConversionType {
  const total = c.totalRows;
  const progress = c.status === 'COMPLETED' ? 1 : total ? Math.min(1, c.processedRows / total) : 0;
  return {
    id: c.id,
    fileName: c.fileName,
    status: c.status as ConversionStatusEnum,
    phase: c.phase as ConversionPhaseEnum,
    totalRows: total,
    processedRows: c.processedRows,
    readRows: c.readRows ?? 0,
    writtenRows: c.writtenRows ?? 0,
    matchedRows: c.matchedRows,
    nearestRows: c.nearestRows,
    unmatchedRows: c.unmatchedRows,
    invalidRows: c.invalidRows,
    progress,
    error: c.error,
    errorCode: c.errorCode,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    downloadUrl: c.status === 'COMPLETED' && c.outputKey ? downloadUrl : null,
    outputFormat: c.options.outputFormat as OutputFormatEnum,
    boundarySet: boundarySetLabel,
    detectedColumns:
      c.detected?.sheets.map((s) => ({
        sheet: s.name,
        xColumn: s.xIndex === null ? null : columnLabel(s.header, s.xIndex),
        yColumn: s.yIndex === null ? null : columnLabel(s.header, s.yIndex),
        headerRow: s.headerRow + 1,
        dataRows: s.dataRows,
        srid: s.xIndex === null ? null : (s.srid ?? c.detected!.srid),
        foundBy: (s.foundBy ?? null) as ColumnSourceEnum | null,
        swapped: s.swapped ?? false,
      })) ?? null,
    detectedSrid: c.detected?.srid ?? null,
    notes: c.detected?.notes ?? [],
    timings: c.timings ? { ...c.timings, gridMatchedRows: c.timings.gridMatchedRows ?? null } : null,
  };
}

export function toBoundarySetType(s: BoundarySet, defaultName: string | undefined, newestCurrentId: number | undefined, all: BoundarySet[] = [s]): BoundarySetType {
  const versions = all
    .filter((v) => v.name === s.name && (v.isCurrent || v.id === s.id))
    .sort((a, b) => (a.validFrom ?? '').localeCompare(b.validFrom ?? '') || a.version - b.version);
  return {
    id: String(s.id),
    name: s.name,
    version: s.version,
    isCurrent: s.isCurrent,
    isDefault: s.isCurrent && (defaultName ? nameReaches(defaultName, s) : s.name === all.find((c) => c.id === newestCurrentId)?.name),
    source: s.source,
    sourceSrid: s.sourceSrid,
    loadedAt: s.loadedAt,
    featureCount: s.levels.reduce((n, l) => n + l.featureCount, 0),
    levels: s.levels,
    label: s.label,
    validFrom: s.validFrom,
    date: s.validFrom ?? s.loadedAt?.toISOString().slice(0, 10) ?? '',
    versions: versions.map((v) => ({ id: String(v.id), version: v.version, validFrom: v.validFrom, isCurrent: v.isCurrent, loadedAt: v.loadedAt })),
  };
}
