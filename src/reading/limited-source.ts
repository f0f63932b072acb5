import { UserInputError } from '../errors';
import type { RowBatch } from './row-batches';
import type { Row, SheetRows, TableSource } from './table-source';

export interface SourceLimits {
  /** Sheets a workbook may have (MAX_SHEETS). */
  maxSheets: number;
  /** Cells one row may have (MAX_COLUMNS). */
  maxColumns: number;
}

/**
 * A TableSource that refuses, with a coded error that says where, a workbook with more sheets
 * than MAX_SHEETS (TOO_MANY_SHEETS) or a row wider than MAX_COLUMNS (TOO_MANY_COLUMNS), whichever
 * pass reads it (analysis, conversion or preview).
 */
export function withLimits(source: TableSource, limits: SourceLimits): TableSource {
  const checkSheets = (count: number) => {
    if (count > limits.maxSheets) throw tooManySheets(limits.maxSheets);
  };
  const checkedRows = async function* (sheet: string, rows: AsyncIterable<Row>): AsyncGenerator<Row> {
    let rowNumber = 0;
    for await (const row of rows) {
      rowNumber++;
      if (row.length > limits.maxColumns) throw tooManyColumns(sheet, rowNumber, row.length, limits.maxColumns);
      yield row;
    }
  };
  const checkedBatches = async function* (sheet: string, batches: AsyncIterable<RowBatch>): AsyncGenerator<RowBatch> {
    let rowNumber = 0;
    for await (const batch of batches) {
      for (let i = 0; i < batch.length; i++) {
        if (batch.width(i) > limits.maxColumns) throw tooManyColumns(sheet, rowNumber + i + 1, batch.width(i), limits.maxColumns);
      }
      rowNumber += batch.length;
      yield batch;
    }
  };
  return {
    settings: source.settings,
    async sheetNames() {
      const names = await source.sheetNames();
      checkSheets(names.length);
      return names;
    },
    rows: (sheet) => checkedRows(sheet, source.rows(sheet)),
    batches: source.batches && ((sheet) => checkedBatches(sheet, source.batches!(sheet))),
    async *sheets(): AsyncGenerator<SheetRows> {
      let count = 0;
      for await (const sheet of source.sheets()) {
        checkSheets(++count);
        yield { name: sheet.name, rows: checkedRows(sheet.name, sheet.rows) };
      }
    },
    countRows: source.countRows?.bind(source),
    declaredRows: source.declaredRows?.bind(source),
    // Without it, renamed sheets (duplicate or invalid names) never reached a conversion's notes.
    notes: source.notes?.bind(source),
  };
}

function tooManySheets(max: number): UserInputError {
  return new UserInputError(
    `통합 문서의 시트가 ${max}개보다 많습니다. 필요한 시트만 남기거나 나누어 올려 주세요. · The workbook has more than ${max} sheets (MAX_SHEETS); keep the sheets you need or split it.`,
    'TOO_MANY_SHEETS',
  );
}

function tooManyColumns(sheet: string, row: number, columns: number, max: number): UserInputError {
  return new UserInputError(
    `시트 "${sheet}"의 ${row}번째 행에 열이 ${columns}개 있습니다(최대 ${max}개). 필요 없는 열을 지우고 다시 올려 주세요. · ` +
      `Row ${row} of sheet "${sheet}" has ${columns} columns, more than ${max} (MAX_COLUMNS); remove the columns you do not need.`,
    'TOO_MANY_COLUMNS',
  );
}

/** `declared`: the count is what the workbook's sheets say they use (<dimension>), not rows read. */
export function tooManyRows(rows: number, max: number, declared?: 'declared'): UserInputError {
  const n = rows.toLocaleString('en-US');
  const limit = max.toLocaleString('en-US');
  return new UserInputError(
    declared
      ? `통합 문서의 시트 범위(dimension)에 따르면 데이터 행이 ${n}개로 한도 ${limit}개를 넘습니다. 파일을 나누어 올려 주세요. · ` +
          `The workbook's sheets declare ${n} data rows (their dimension), more than ${limit} (MAX_ROWS); split it into smaller files.`
      : `데이터 행이 ${n}개로 한도 ${limit}개를 넘습니다. 파일을 나누어 올려 주세요. · ` +
          `The file has ${n} data rows, more than ${limit} (MAX_ROWS); split it into smaller files.`,
    'TOO_MANY_ROWS',
  );
}
