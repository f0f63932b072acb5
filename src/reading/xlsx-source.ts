import ExcelJS from 'exceljs';
import type { CellValue, ReadSettings, Row, TableSource } from './table-source';

/**
 * XLSX input, streamed with exceljs's WorkbookReader: rows are parsed as the zip is read, never
 * the whole workbook in memory. Formulas come out as their cached values, rich text and
 * hyperlinks as their text, so the output holds what the user saw in Excel.
 */
export class XlsxSource implements TableSource {
  readonly settings: ReadSettings = { format: 'XLSX' };
  private names: string[] | null = null;

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
      let next = 1;
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        // Empty rows are absent from the stream; keep them so row positions stay as in the file.
        for (; next < row.number; next++) yield [];
        yield rowValues(row);
        next = row.number + 1;
      }
      return;
    }
    throw new Error(`Sheet "${wanted}" not found`);
  }

  private open(): AsyncIterable<unknown> {
    return new ExcelJS.stream.xlsx.WorkbookReader(this.file, {
      worksheets: 'emit',
      sharedStrings: 'cache',
      styles: 'cache',
      hyperlinks: 'ignore',
      entries: 'emit',
    }) as unknown as AsyncIterable<unknown>;
  }
}

function sheetName(sheet: unknown): string {
  return String((sheet as { name?: string; id?: number }).name ?? `Sheet${(sheet as { id?: number }).id ?? ''}`);
}

async function drain(sheet: unknown): Promise<void> {
  for await (const _row of sheet as AsyncIterable<unknown>) {
    // skipped: the reader must consume a sheet to reach the next one
  }
}

function rowValues(row: ExcelJS.Row): Row {
  const values = row.values as unknown[];
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
