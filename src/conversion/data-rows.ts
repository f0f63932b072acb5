import { numberIn } from '../detection/numbers';
import { UserInputError } from '../errors';
import type { Row, TableSource } from '../reading/table-source';

export function noDataRows(): UserInputError {
  return new UserInputError('파일에 머리글만 있고 데이터 행이 없습니다. (The file has a header but no data rows.)', 'NO_DATA_ROWS');
}

/** A lone row is data (a file without a header) when it holds at least two numbers. */
export function looksLikeData(row: Row): boolean {
  return row.filter((c) => numberIn(c) !== null).length >= 2;
}

/**
 * Refuses, before a conversion is created, a file whose every sheet holds at most one row and
 * that row is a header: reads until some sheet has a second non-empty row (the first rows of a
 * file, whatever its size).
 */
export async function assertHasDataRows(source: TableSource): Promise<void> {
  for await (const sheet of source.sheets()) {
    let lone: Row | null = null;
    for await (const row of sheet.rows) {
      if (!row.some((c) => c !== null && c !== '')) continue;
      if (lone) return;
      lone = row;
    }
    if (lone && looksLikeData(lone)) return;
  }
  throw noDataRows();
}
