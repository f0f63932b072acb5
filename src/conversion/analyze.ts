import type { DetectedLayout, DetectedSheet, StoredConversionOptions } from '../entities/Conversion';
import { UserInputError } from '../errors';
import { detectSheetLayout, type SheetLayout } from '../detection/sheet-layout';
import { numberIn } from '../detection/numbers';
import { describeSrid } from '../detection/crs-candidates';
import type { Row, TableSource } from '../reading/table-source';
import { describeColumn, indexToLetter, resolveColumnSpec } from '../detection/columns';
import { dayOf, findDateColumn } from '../detection/date-column';
import { noDataRows } from './data-rows';

/**
 * Rows of each sheet kept for detection: room for title rows above the header and a sample of
 * data rows below it. Detection never sees more, so memory does not grow with the file.
 */
const HEAD_ROWS = 250;

/** A data row as read, with its 1-based row number in the sheet (for previews). */
export interface SampledRow {
  rowNumber: number;
  cells: Row;
}

export interface FileInspection {
  layout: DetectedLayout;
  /** The first data rows of each converted sheet, when asked for. */
  samples: Map<string, SampledRow[]>;
}

/**
 * The first pass over a file: which sheets to convert, where each header is, which columns hold
 * the coordinates and in which system, how many data rows there are (for progress). The result
 * is stored on the conversion so the user can see what was used and a resumed job reads the
 * file the same way. One streamed pass over the file, whatever the number of sheets.
 */
export async function analyzeFile(source: TableSource, options: StoredConversionOptions): Promise<DetectedLayout> {
  return (await inspectFile(source, options)).layout;
}

export async function inspectFile(source: TableSource, options: StoredConversionOptions, sampleRows = 0): Promise<FileInspection> {
  const wanted = options.sheets?.length ? options.sheets : null;
  const available: string[] = [];
  const sheets: DetectedSheet[] = [];
  const notes: string[] = [];
  const samples = new Map<string, SampledRow[]>();
  let usableRows = 0;
  let rowsOfConverted = 0;

  for await (const sheet of source.sheets()) {
    available.push(sheet.name);
    const convert = wanted === null || wanted.includes(sheet.name);
    // Where the rows can be counted without reading them, only the head is read.
    const counted = convert && source.countRows ? await source.countRows(sheet.name) : null;
    const inspector = new SheetInspector(sheet.name, convert, options);
    for await (const row of sheet.rows) {
      inspector.push(row);
      if (counted !== null && inspector.hasWhatItNeeds()) break;
    }
    const result = inspector.finish(counted);
    sheets.push(result.sheet);
    notes.push(...result.notes);
    usableRows += result.usableRows;
    if (convert) rowsOfConverted += result.rowCount;
    if (sampleRows > 0 && result.sheet.xIndex !== null) samples.set(sheet.name, result.dataSample.slice(0, sampleRows));
  }

  if (source.notes) notes.unshift(...(await source.notes()));
  const missing = (wanted ?? []).filter((s) => !available.includes(s));
  if (missing.length) {
    throw new UserInputError(
      `시트 ${missing.map((s) => `"${s}"`).join(', ')}이(가) 파일에 없습니다(있는 시트: ${available.map((s) => `"${s}"`).join(', ')}). · ` +
        `Sheet ${missing.map((s) => `"${s}"`).join(', ')} not found; the file has ${available.map((s) => `"${s}"`).join(', ')}.`,
      'UNKNOWN_SHEET',
    );
  }
  // A header alone: say so, rather than that no coordinate columns were found in it.
  if (rowsOfConverted <= 1 && usableRows === 0) throw noDataRows();
  const converted = sheets.filter((s) => s.xIndex !== null);
  if (converted.length === 0) throw noCoordinates(sheets, options);
  if (!converted.some((s) => s.dataRows > 0) || usableRows === 0) {
    const where = converted.map((s) => `"${s.name}"`).join(', ');
    throw new UserInputError(
      `시트 ${where}의 좌표 열에 숫자가 있는 행이 하나도 없어 찾을 것이 없습니다. · The coordinate columns of sheet ${where} hold no numbers in any row; there is nothing to look up.`,
      'NO_COORDINATES',
    );
  }
  return {
    layout: {
      format: source.settings.format,
      encoding: source.settings.encoding,
      delimiter: source.settings.delimiter,
      srid: converted[0].srid ?? options.srid ?? 4326,
      sheets,
      notes,
    },
    samples,
  };
}

function noCoordinates(sheets: DetectedSheet[], options: StoredConversionOptions): UserInputError {
  const first = sheets[0];
  if (options.xColumn && options.yColumn && first) {
    // Names the column that is missing and lists the ones there are.
    resolveColumnSpec(options.xColumn, first.header, 'xColumn');
    resolveColumnSpec(options.yColumn, first.header, 'yColumn');
  }
  // Every column by letter, blank-named ones too: those are often where the coordinates are.
  const columns = sheets
    .filter((s) => !options.sheets?.length || options.sheets.includes(s.name))
    .map((s) => `"${s.name}": ${s.header.map((h, i) => `${indexToLetter(i)} ${h ? `"${h}"` : '(blank)'}`).join(', ') || '(no header)'}`)
    .join('; ');
  const systems =
    options.srid === undefined
      ? 'in each coordinate system recognisable from values (EPSG:4326 lon/lat, 5179, 32652, 3857, the Korean TM belts)'
      : `as ${describeSrid(options.srid)}, the srid option`;
  const advice = options.srid === undefined ? '' : ` If they are longitude/latitude, leave srid out or set it to 4326.`;
  return new UserInputError(
    `좌표 열을 찾지 못했습니다. 경도/위도(x/y, lon/lat) 같은 머리글을 붙이거나 xColumn과 yColumn 옵션으로 좌표 열을 지정해 주세요. · ` +
      `No coordinate columns found (columns ${columns}). Tried header names (x/y, lon/lat, 경도/위도, …) and the values of ` +
      `every pair of numeric columns ${systems} over Korea. Name them x/y, lon/lat, 경도/위도, or set xColumn and yColumn.${advice}`,
    'NO_COORDINATES',
  );
}

/**
 * One sheet, row by row: keeps the first HEAD_ROWS rows, decides the layout from them, then only
 * counts the rest (all rows, and those with numbers in both coordinate columns). When the caller
 * knows the number of rows already, the head is enough once it has a usable row.
 */
class SheetInspector {
  private readonly head: Row[] = [];
  private layout: SheetLayout | null = null;
  private rowCount = 0;
  private usable = 0;

  constructor(
    private readonly name: string,
    private readonly convert: boolean,
    private readonly options: StoredConversionOptions,
  ) {}

  /**
   * The layout is decided (from the whole head, which also holds the sample) and at least one row
   * has usable coordinates (else every row must be read to be sure none has): the rest of the
   * sheet would only add to the counts.
   */
  hasWhatItNeeds(): boolean {
    return !this.convert || (this.layout !== null && this.usable > 0);
  }

  push(row: Row): void {
    this.rowCount++;
    if (!this.convert) return;
    if (this.layout) {
      this.countUsable(row);
      return;
    }
    this.head.push(row);
    if (this.head.length === HEAD_ROWS) this.decide();
  }

  /** `rowCount`: the sheet's rows as counted by the source, when it stopped reading early. */
  finish(rowCount: number | null = null): { sheet: DetectedSheet; notes: string[]; usableRows: number; rowCount: number; dataSample: SampledRow[] } {
    if (rowCount !== null) this.rowCount = rowCount;
    if (!this.convert) {
      return {
        sheet: { name: this.name, headerRow: -1, header: [], xIndex: null, yIndex: null, dataRows: 0, srid: null, foundBy: null },
        notes: [`시트 "${this.name}"는 options.sheets에 없어 그대로 복사했습니다.`],
        usableRows: 0,
        rowCount: this.rowCount,
        dataSample: [],
      };
    }
    const layout = this.layout ?? this.decide();
    const converted = layout.xIndex !== null;
    const firstData = layout.headerRow + 1;
    const dated = converted ? findDateColumn(layout.header, this.head.slice(firstData), this.options.dateColumn, [layout.xIndex!, layout.yIndex!]) : null;
    const dateNotes = dated?.detected
      ? [`시트 "${this.name}": ${describeColumn(layout.header, dated.index)}을(를) 날짜 열로 보고, 행마다 그날 유효한 경계 버전을 씁니다(dateColumn으로 바꿀 수 있습니다).`]
      : [];
    return {
      sheet: {
        name: this.name,
        headerRow: layout.headerRow,
        header: layout.header,
        xIndex: layout.xIndex,
        yIndex: layout.yIndex,
        dataRows: converted ? Math.max(0, this.rowCount - firstData) : 0,
        srid: layout.srid,
        foundBy: layout.foundBy,
        swapped: layout.swapped,
        dateIndex: dated?.index ?? null,
        latestDay: dated ? latestDay(this.head.slice(firstData), dated.index) : null,
      },
      notes: [...layout.notes, ...dateNotes],
      usableRows: this.usable,
      rowCount: this.rowCount,
      dataSample: converted ? this.head.slice(firstData).map((cells, i) => ({ rowNumber: firstData + i + 1, cells })) : [],
    };
  }

  private decide(): SheetLayout {
    const layout = detectSheetLayout(this.name, this.head, this.options);
    this.layout = layout;
    this.head.slice(layout.headerRow + 1).forEach((row) => this.countUsable(row));
    return layout;
  }

  private countUsable(row: Row): void {
    const { xIndex, yIndex } = this.layout!;
    if (xIndex !== null && yIndex !== null && numberIn(row[xIndex]) !== null && numberIn(row[yIndex]) !== null) this.usable++;
  }
}

/** The latest day in a column of the sampled rows, or null when none reads as a day. */
function latestDay(rows: Row[], index: number): string | null {
  let latest: string | null = null;
  for (const row of rows) {
    const day = dayOf(row[index] ?? null);
    if (day && (!latest || day > latest)) latest = day;
  }
  return latest;
}
