import ExcelJS from 'exceljs';
import WorkbookXform from 'exceljs/lib/xlsx/xform/book/workbook-xform.js';
import StylesXform from 'exceljs/lib/xlsx/xform/style/styles-xform.js';
import SharedStringsXform from 'exceljs/lib/xlsx/xform/strings/shared-strings-xform.js';
import unzipper from 'unzipper';
import { UserInputError } from '../errors';
import type { CellValue, ReadSettings, Row, SheetRows, TableSource } from './table-source';

/**
 * XLSX input, streamed with exceljs's WorkbookReader: rows are parsed as the zip is read, never
 * the whole workbook in memory. Formulas come out as their cached values, rich text and
 * hyperlinks as their text, so the output holds what the user saw in Excel.
 */
export class XlsxSource implements TableSource {
  readonly settings: ReadSettings = { format: 'XLSX' };
  private names: string[] | null = null;
  private workbookModel: Promise<{ model: unknown; properties: unknown }> | undefined;
  private styles: Promise<unknown> | undefined;
  private sharedStrings: Promise<unknown[]> | undefined;

  constructor(private readonly file: string) {}

  async sheetNames(): Promise<string[]> {
    if (!this.names) {
      const names: string[] = [];
      for await (const sheet of this.open()) {
        names.push(sheetName(sheet));
        await drain(sheet);
      }
      this.names = names;
    }
    return this.names;
  }

  async *rows(wanted: string): AsyncGenerator<Row> {
    for await (const sheet of this.open()) {
      if (sheetName(sheet) !== wanted) {
        await drain(sheet);
        continue;
      }
      yield* sheetRows(sheet, () => (this.sharedStrings ??= readSharedStrings(this.file)));
      return;
    }
    throw new Error(`Sheet "${wanted}" not found`);
  }

  async *sheets(): AsyncGenerator<SheetRows> {
    const names: string[] = [];
    for await (const sheet of this.open()) {
      names.push(sheetName(sheet));
      // The reader parses a sheet only while its rows are pulled: one iterator, shared by the
      // caller and the drain below, so a sheet the caller stopped reading is finished here.
      const iterator = sheetRows(sheet, () => (this.sharedStrings ??= readSharedStrings(this.file)));
      yield { name: sheetName(sheet), rows: { [Symbol.asyncIterator]: () => iterator } };
      for await (const _row of { [Symbol.asyncIterator]: () => iterator }) {
        // skipped: the caller did not read this sheet to its end
      }
    }
    this.names = names;
  }

  private open(): AsyncIterable<unknown> {
    const file = this.file;
    const model = (this.workbookModel ??= readWorkbookModel(file));
    const styles = (this.styles ??= readStyles(file));
    return {
      async *[Symbol.asyncIterator]() {
        const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
          worksheets: 'emit',
          sharedStrings: 'cache',
          styles: 'cache',
          hyperlinks: 'ignore',
          entries: 'emit',
        });
        // exceljs names a sheet from xl/workbook.xml (and reads its date system there) and tells
        // dates from numbers by the number formats in xl/styles.xml, but only knows either once
        // it has streamed past it. Zip writers may put them after the sheets (exceljs's own
        // writer varies the order from one file to the next), and then the reader fails on
        // `model.sheets` or on a date's `properties.model`, loses the names, or hands out dates
        // as plain numbers. Giving it all three up front, as its own parsing would have set
        // them, makes the order irrelevant.
        Object.assign(reader, { ...(await model), styles: await styles });
        yield* reader as unknown as AsyncIterable<unknown>;
      },
    };
  }
}

/**
 * Parses xl/workbook.xml (sheet names and ids, the date system) with exceljs's own parser, read
 * from the zip directory, into the two fields exceljs's reader sets from it.
 */
async function readWorkbookModel(file: string): Promise<{ model: unknown; properties: unknown }> {
  const directory = await unzipper.Open.file(file);
  const entry = directory.files.find((f) => f.path === 'xl/workbook.xml');
  if (!entry) throw new UserInputError('The file is not a valid .xlsx workbook (it has no xl/workbook.xml).', 'UNSUPPORTED_FILE');
  const xform = new WorkbookXform();
  await xform.parseStream(entry.stream());
  return { model: xform.model, properties: xform.map.workbookPr };
}

/** xl/styles.xml parsed by exceljs's own StyleManager, read from the zip directory (defaults without one). */
async function readStyles(file: string): Promise<unknown> {
  const directory = await unzipper.Open.file(file);
  const entry = directory.files.find((f) => f.path === 'xl/styles.xml');
  const styles = new StylesXform();
  if (entry) await styles.parseStream(entry.stream());
  else styles.init();
  return styles;
}

/**
 * The workbook's shared strings, read from the zip directory. Only needed when exceljs hands out
 * a cell as an unresolved `{ sharedString: index }`, which it does, intermittently, for sheets it
 * parses from its temporary copy when the zip puts the sheets before xl/sharedStrings.xml (as
 * exceljs's own writer does); the text came out as "[object Object]" before.
 */
async function readSharedStrings(file: string): Promise<unknown[]> {
  const directory = await unzipper.Open.file(file);
  const entry = directory.files.find((f) => f.path === 'xl/sharedStrings.xml');
  if (!entry) return [];
  const xform = new SharedStringsXform();
  await xform.parseStream(entry.stream());
  return xform.model.values;
}

const isUnresolvedSharedString = (v: unknown): v is { sharedString: number } =>
  typeof v === 'object' && v !== null && typeof (v as { sharedString?: unknown }).sharedString === 'number';

function sheetName(sheet: unknown): string {
  return String((sheet as { name?: string; id?: number }).name ?? `Sheet${(sheet as { id?: number }).id ?? ''}`);
}

async function drain(sheet: unknown): Promise<void> {
  for await (const _row of sheet as AsyncIterable<unknown>) {
    // skipped: the reader must consume a sheet to reach the next one
  }
}

/** A sheet's rows in order; empty rows are absent from the stream and put back as [] so positions stay as in the file. */
async function* sheetRows(sheet: unknown, sharedStrings: () => Promise<unknown[]>): AsyncGenerator<Row> {
  let next = 1;
  for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
    for (; next < row.number; next++) yield [];
    const values = row.values as unknown[];
    if (values.some(isUnresolvedSharedString)) {
      const table = await sharedStrings();
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (isUnresolvedSharedString(v)) values[i] = table[v.sharedString] ?? null;
      }
    }
    yield rowValues(values);
    next = row.number + 1;
  }
}

function rowValues(values: unknown[]): Row {
  const out: Row = [];
  for (let i = 1; i < values.length; i++) out.push(toCellValue(values[i]));
  return out;
}

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
