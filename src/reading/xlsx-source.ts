import { setImmediate as nextTurn } from 'node:timers/promises';
import { UserInputError } from '../errors';
import { excelSheetNames, type SheetRename } from './sheet-names';
import type { CellValue, ReadSettings, Row, SheetRows, TableSource } from './table-source';
import { xlsxLibraries } from './xlsx-libraries';
import { XlsxPackage, type PackageSheet } from './xlsx-package';

/** Excel's last row: a row numbered beyond it is not padded up to (see sheetRows). */
const EXCEL_MAX_ROWS = 1_048_576;
/** Empty rows put back between two turns of the event loop. */
const FILL_SLICE = 4096;

/**
 * XLSX input. The package is opened through the zip's central directory (XlsxPackage), each sheet
 * found by its relationship id and streamed from its own part with exceljs's worksheet parser:
 * rows are parsed as the part is inflated, never the whole workbook in memory, whatever order the
 * writer put the parts in. Formulas come out as their cached values, rich text and hyperlinks as
 * their text, so the output holds what the user saw in Excel.
 *
 * Sheets are named as Excel allows (duplicates and invalid names changed, see `notes`), so each
 * name addresses exactly one sheet.
 */
export class XlsxSource implements TableSource {
  readonly settings: ReadSettings = { format: 'XLSX' };
  private opened: Promise<{ pkg: XlsxPackage; names: string[]; renamed: SheetRename[] }> | undefined;

  constructor(private readonly file: string) {}

  private open() {
    return (this.opened ??= XlsxPackage.open(this.file).then((pkg) => ({ pkg, ...excelSheetNames(pkg.sheets.map((s) => s.name)) })));
  }

  async sheetNames(): Promise<string[]> {
    return (await this.open()).names;
  }

  /** Sheets whose names had to change, for the conversion's notes. */
  async notes(): Promise<string[]> {
    const { renamed } = await this.open();
    return renamed.map((r) => `Sheet "${r.from}" is named "${r.to}" in the output (Excel needs unique names of at most 31 characters without []:*?/\\).`);
  }

  /** The last row of the sheet's `<dimension ref>` (see TableSource.declaredRows). */
  async declaredRows(wanted: string): Promise<number | null> {
    const { pkg, names } = await this.open();
    const index = names.indexOf(wanted);
    if (index < 0) throw new UserInputError(`Sheet "${wanted}" not found.`, 'UNKNOWN_SHEET');
    const stream = pkg.sheetStream(pkg.sheets[index]);
    return stream ? declaredLastRow(stream) : null;
  }

  async *rows(wanted: string): AsyncGenerator<Row> {
    const { pkg, names } = await this.open();
    const index = names.indexOf(wanted);
    if (index < 0) throw new UserInputError(`시트 "${wanted}"이(가) 파일에 없습니다. · Sheet "${wanted}" not found.`, 'UNKNOWN_SHEET');
    yield* sheetRows(pkg, pkg.sheets[index], index + 1);
  }

  async *sheets(): AsyncGenerator<SheetRows> {
    const { pkg, names } = await this.open();
    for (let i = 0; i < names.length; i++) {
      yield { name: names[i], rows: sheetRows(pkg, pkg.sheets[i], i + 1) };
    }
  }
}

/**
 * A sheet's rows in order. Empty rows are absent from the part and put back as [] so positions
 * stay as in the file, but only for rows Excel can have: a row numbered beyond its last row
 * (r="2000000000", which no spreadsheet program writes) follows the previous one directly instead
 * of after billions of made-up rows. The part's stream is destroyed when the caller stops early, so no
 * descriptor outlives the read.
 */
async function* sheetRows(pkg: XlsxPackage, sheet: PackageSheet, id: number): AsyncGenerator<Row> {
  const { WorksheetReader } = await xlsxLibraries();
  const stream = pkg.sheetStream(sheet);
  if (!stream) return;
  try {
    const reader = new WorksheetReader({ workbook: pkg.context, id, iterator: stream, options: { worksheets: 'emit', hyperlinks: 'ignore' } });
    let next = 1;
    for await (const row of reader) {
      const number = Number.isFinite(row.number) && row.number > 0 ? row.number : next;
      for (let filled = 0; next < number && number <= EXCEL_MAX_ROWS; next++) {
        yield [];
        if (++filled % FILL_SLICE === 0) await nextTurn();
      }
      yield rowValues(row.values as unknown[], pkg.context.sharedStrings);
      next = number + 1;
    }
  } finally {
    stream.destroy();
  }
}

/** How far into a sheet part `<dimension>` is looked for: it comes before the rows (ECMA-376 order). */
const DIMENSION_SEARCH_CHARS = 64 * 1024;
const DIMENSION = /<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*["']\s*\$?[A-Za-z]{0,3}\$?(\d+)(?:\s*:\s*\$?[A-Za-z]{0,3}\$?(\d+))?/;
const SHEET_DATA = /<(?:[\w.-]+:)?sheetData\b/;

/**
 * The last row number of a sheet part's `<dimension ref="A1:C900">` (900), read from the start of
 * the part only; null when the part has none before its rows. The stream is destroyed either way.
 */
export async function declaredLastRow(stream: NodeJS.ReadableStream & { destroy(): void }): Promise<number | null> {
  let text = '';
  try {
    for await (const chunk of stream) {
      text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
      const m = DIMENSION.exec(text);
      if (m) return Number(m[2] ?? m[1]);
      if (SHEET_DATA.test(text) || text.length > DIMENSION_SEARCH_CHARS) return null;
    }
    return null;
  } finally {
    stream.destroy();
  }
}

function rowValues(values: unknown[], sharedStrings: unknown[]): Row {
  const out: Row = [];
  for (let i = 1; i < values.length; i++) {
    const v = values[i];
    out.push(toCellValue(isUnresolvedSharedString(v) ? sharedStrings[v.sharedString] : v));
  }
  return out;
}

const isUnresolvedSharedString = (v: unknown): v is { sharedString: number } =>
  typeof v === 'object' && v !== null && typeof (v as { sharedString?: unknown }).sharedString === 'number';

export function toCellValue(value: unknown): CellValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('result' in v || 'formula' in v || 'sharedFormula' in v) return toCellValue(v.result);
    if (Array.isArray(v.richText)) return (v.richText as { text: string }[]).map((t) => t.text).join('');
    if ('text' in v) return toCellValue(v.text);
    if ('error' in v) return String(v.error);
  }
  return String(value);
}
