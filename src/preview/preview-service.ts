import type { DataSource } from 'typeorm';
import type { BoundaryCatalog, CatalogCache } from '../boundaries/catalog';
import { displayName, type BoundarySetService } from '../boundaries/set-service';
import { columnLabel } from '../detection/columns';
import type { IncomingFile } from '../conversion/conversion-service';
import { readChunkCoordinates } from '../detection/coordinates';
import { inspectFile, type SampledRow } from '../conversion/analyze';
import { noteFor } from '../conversion/appended-columns';
import { DatedPlan, geocodeSets, resolveBoundaryPlan } from '../conversion/dated-geocoding';
import type { FileStore } from '../conversion/file-store';
import { beforeReadingUpload, checkRequestOptions } from '../conversion/request-checks';
import type { DetectedSheet } from '../entities/Conversion';
import { UserInputError } from '../errors';
import { resultAt } from '../geocode/chunk-geocoder';
import type { Geocoder } from '../geocode/geocoder';
import { resultFromCode, type MatchResult } from '../geocode/result-codes';
import { withLimits, type SourceLimits } from '../reading/limited-source';
import { detectInputFormat, openTableSource, readHead } from '../reading/open-source';
import { listRows, type CellValue } from '../reading/table-source';

export const DEFAULT_PREVIEW_ROWS = 10;
const MAX_PREVIEW_ROWS = 50;

export interface FilePreview {
  fileName: string;
  format: 'CSV' | 'XLSX';
  encoding: string | null;
  delimiter: string | null;
  /** EPSG code of the first converted sheet, as on a conversion. */
  detectedSrid: number;
  boundarySet: string;
  notes: string[];
  sheets: PreviewSheet[];
}

export interface PreviewSheet {
  name: string;
  converted: boolean;
  /** 1-based; 0 when the table starts with data. */
  headerRow: number;
  header: string[];
  xColumn: string | null;
  yColumn: string | null;
  foundBy: 'OPTIONS' | 'HEADER' | 'VALUES' | null;
  swapped: boolean;
  srid: number | null;
  dataRows: number;
  rows: PreviewRow[];
}

export interface PreviewRow {
  /** 1-based row number in the sheet, as Excel shows it. */
  rowNumber: number;
  cells: (string | null)[];
  x: number | null;
  y: number | null;
  result: MatchResult;
  address: string | null;
  code: string | null;
  note: string | null;
  /** With several boundary sets: the further sets' answers, in the order of boundarySets. */
  otherSets: { label: string; address: string | null; code: string | null }[];
  /** Which dated versions the row used (경계기준), when rows are dated. */
  basis: string | null;
}

export interface PreviewDeps {
  dataSource: DataSource;
  store: FileStore;
  sets: BoundarySetService;
  catalogs: CatalogCache;
  geocoder: Geocoder;
  maxUploadBytes: number;
  /** MAX_SHEETS and MAX_COLUMNS; unlimited when absent. */
  limits?: SourceLimits;
  defaultMaxDistanceMeters: number;
}

/**
 * `previewFile`: what a conversion of this file would do, without creating one. The upload is
 * analysed exactly as the worker would (same detection, same options) and the first rows of
 * each converted sheet are read and geocoded as one chunk the way a conversion reads and
 * geocodes its chunks, so a client can show the user the columns, the coordinate system and a
 * few addresses to confirm. The stored upload is always deleted.
 */
export class PreviewService {
  constructor(private readonly deps: PreviewDeps) {}

  async preview(file: IncomingFile, rawOptions: Record<string, unknown> | null | undefined, rowCount = DEFAULT_PREVIEW_ROWS): Promise<FilePreview> {
    const { dataSource, store, sets } = this.deps;
    const { options, set } = await beforeReadingUpload(file.stream, async () => {
      if (!Number.isInteger(rowCount) || rowCount < 1 || rowCount > MAX_PREVIEW_ROWS) {
        throw new UserInputError(`rows must be between 1 and ${MAX_PREVIEW_ROWS}.`);
      }
      return checkRequestOptions(dataSource, sets, rawOptions);
    });

    const fileName = file.fileName || 'upload.csv';
    // Read once here and forgotten: kept on this machine, not put in shared storage.
    const upload = await store.receiveTemp(file.stream, this.deps.maxUploadBytes);
    try {
      const format = detectInputFormat(fileName, await readHead(upload.file));
      const opened = await openTableSource(upload.file, fileName, format);
      const source = this.deps.limits ? withLimits(opened, this.deps.limits) : opened;
      const { layout, samples } = await inspectFile(source, options, rowCount);
      const plan = new DatedPlan(await resolveBoundaryPlan(sets, options), options.asOf ?? null, true);
      const catalogs = await Promise.all(plan.plan.sets.map((s) => Promise.all(s.versions.map((v) => this.deps.catalogs.get(v.id)))));
      const maxDistanceMeters = options.maxDistanceMeters ?? this.deps.defaultMaxDistanceMeters;
      const sheets: PreviewSheet[] = [];
      for (const sheet of layout.sheets) {
        const srid = sheet.srid ?? layout.srid;
        const sampled = samples.get(sheet.name) ?? [];
        const rows = sheet.xIndex === null || sampled.length === 0 ? [] : await this.lookUpRows(sampled, sheet, srid, { plan, catalogs, maxDistanceMeters });
        sheets.push(toPreviewSheet(sheet, srid, rows));
      }
      return {
        fileName,
        format: layout.format,
        encoding: layout.encoding ?? null,
        delimiter: layout.delimiter ?? null,
        detectedSrid: layout.srid,
        boundarySet: displayName(set),
        notes: layout.notes,
        sheets,
      };
    } finally {
      await upload.release();
    }
  }

  /** The sampled rows, geocoded as one chunk. */
  private async lookUpRows(
    sampled: SampledRow[],
    sheet: DetectedSheet,
    srid: number,
    target: { plan: DatedPlan; catalogs: BoundaryCatalog[][]; maxDistanceMeters: number },
  ): Promise<PreviewRow[]> {
    const rows = listRows(sampled.map((s) => s.cells));
    const input = readChunkCoordinates(rows, sheet.xIndex!, sheet.yIndex!, srid);
    const dateIndex = sheet.dateIndex ?? null;
    const bySet = await geocodeSets(this.deps.geocoder, target.plan, { srid, maxDistanceMeters: target.maxDistanceMeters }, input, rows, dateIndex);
    const dated = target.plan.plan.sets.some((s) => s.versions.length > 1) && (dateIndex !== null || target.plan.asOf !== null);
    const basis = dated ? target.plan.basisOf(rows, dateIndex) : null;
    const entryOf = (g: number, id: number | null) => (id === null ? undefined : target.catalogs[g].map((c) => c.get(id)).find(Boolean));
    return sampled.map((s, i) => {
      const hit = resultAt(bySet[0], i);
      const usable = !input.invalidReasons.has(i);
      const entry = entryOf(0, hit.boundaryId);
      return {
        rowNumber: s.rowNumber,
        cells: s.cells.map(displayText),
        x: usable ? input.xs[i] : null,
        y: usable ? input.ys[i] : null,
        result: resultFromCode(hit.result),
        address: entry?.address ?? null,
        code: entry?.code ?? null,
        note: noteFor(hit),
        otherSets: bySet.slice(1).map((chunk, k) => {
          const other = entryOf(k + 1, resultAt(chunk, i).boundaryId);
          const set = target.plan.plan.sets[k + 1];
          return { label: set.label ?? set.name, address: other?.address ?? null, code: other?.code ?? null };
        }),
        basis: basis?.[i] ?? null,
      };
    });
  }
}

function toPreviewSheet(sheet: DetectedSheet, srid: number, rows: PreviewRow[]): PreviewSheet {
  const converted = sheet.xIndex !== null;
  const label = (index: number | null) => (index === null ? null : columnLabel(sheet.header, index));
  return {
    name: sheet.name,
    converted,
    headerRow: sheet.headerRow + 1,
    header: sheet.header,
    xColumn: label(sheet.xIndex),
    yColumn: label(sheet.yIndex),
    foundBy: sheet.foundBy ?? null,
    swapped: sheet.swapped ?? false,
    srid: converted ? srid : null,
    dataRows: sheet.dataRows,
    rows,
  };
}

/** Cells as the client shows them: text as it is, numbers and dates in a stable form. */
function displayText(cell: CellValue): string | null {
  if (cell === null || cell === undefined) return null;
  if (cell instanceof Date) return cell.toISOString();
  return String(cell);
}
