import { UserInputError } from '../errors';

/**
 * What one upload may hold, whatever it claims: these bound the reader's memory per file, so a
 * hostile or broken file is refused with a coded error that says where, instead of growing
 * until the process runs out of memory.
 */
export const READ_LIMITS = {
  /** Characters in one cell: Excel's own limit, so every cell read can be written to an .xlsx. */
  cellChars: 32_767,
  /** Characters in one row (CSV: one record), all cells together. */
  rowChars: 1_048_576,
  /** Cells in one row, beyond Excel's 16,384 columns (MAX_COLUMNS usually refuses far earlier). */
  rowCells: 20_000,
  /**
   * Entries of a workbook's shared-strings table, all held by the reader while it reads the
   * sheets. At 2,000,000 a workbook of 2.5 million distinct strings took the server's RSS from
   * ~290 MB to 546 MB before it was refused (scripts/hostile-corpus.ts, PostgreSQL), too close to
   * the 600 MB the server keeps under; a million is more than one sheet's rows.
   */
  sharedStrings: 1_000_000,
  /** Inflated bytes of a worksheet part. */
  sheetPartBytes: 1536 * 1024 * 1024,
  /** Inflated bytes of any other part (workbook, relationships, styles, shared strings). */
  otherPartBytes: 256 * 1024 * 1024,
  /** Bytes of XML text or of one tag without a '<' in between: far more than any cell needs. */
  xmlRunBytes: 1024 * 1024,
};

/** Where in the file a read stopped, for the message. */
export interface ReadPlace {
  sheet?: string;
  /** 1-based row (CSV: record) number. */
  row?: number;
  /** A part of the workbook that is not a sheet (shared strings, styles, …). */
  part?: string;
}

const where = (p: ReadPlace) =>
  p.sheet !== undefined
    ? { ko: `시트 "${p.sheet}"${p.row ? `의 ${p.row.toLocaleString('en-US')}번째 행 부근` : ''}`, en: `sheet "${p.sheet}"${p.row ? ` near row ${p.row.toLocaleString('en-US')}` : ''}` }
    : p.part
      ? { ko: `통합 문서의 ${p.part} 부분`, en: `the workbook's ${p.part} part` }
      : { ko: '파일', en: 'the file' };

/** The file needs more memory or work than one upload may take (also: the reader ran out of its memory). */
export function fileTooComplex(place: ReadPlace, what: { ko: string; en: string }): UserInputError {
  const w = where(place);
  return new UserInputError(
    `${w.ko}에서 파일을 읽을 수 없습니다: ${what.ko} 파일이 손상되지 않았는지 확인하고, 필요한 시트와 열만 남겨 다시 저장하거나 나누어 올려 주세요. · ` +
      `Cannot read ${w.en}: ${what.en} Check that the file is not damaged; keep only the sheets and columns you need, save again or split it.`,
    'FILE_TOO_COMPLEX',
  );
}

export const TOO_COMPLEX = {
  memory: (mb: number) => ({
    ko: `읽는 데 메모리가 한도(${mb} MB)보다 많이 필요합니다.`,
    en: `reading it needs more memory than the reader's limit (${mb} MB).`,
  }),
  partBytes: (bytes: number) => ({
    ko: `압축을 풀면 ${Math.round(bytes / 1024 / 1024).toLocaleString('en-US')} MB를 넘습니다(압축 폭탄일 수 있음).`,
    en: `it inflates to more than ${Math.round(bytes / 1024 / 1024).toLocaleString('en-US')} MB (possibly a zip bomb).`,
  }),
  xmlRun: () => ({
    ko: '태그 사이의 글자가 1 MB를 넘습니다(엑셀이 만들 수 없는 크기).',
    en: 'it holds more than 1 MB of text without a tag (more than Excel ever writes).',
  }),
  sharedStrings: (max: number) => ({
    ko: `서로 다른 글자 값이 ${max.toLocaleString('en-US')}개를 넘습니다.`,
    en: `it has more than ${max.toLocaleString('en-US')} distinct text values.`,
  }),
  rowCells: (max: number) => ({
    ko: `한 행의 셀이 ${max.toLocaleString('en-US')}개를 넘습니다(엑셀의 열은 16,384개까지).`,
    en: `a row has more than ${max.toLocaleString('en-US')} cells (Excel has 16,384 columns).`,
  }),
};

export function cellTooLong(place: ReadPlace, chars: number): UserInputError {
  const w = where(place);
  return new UserInputError(
    `${w.ko}에 ${chars.toLocaleString('en-US')}자가 넘는 셀이 있습니다(엑셀의 셀 한도는 ${READ_LIMITS.cellChars.toLocaleString('en-US')}자). 긴 내용을 줄이거나 나누어 다시 올려 주세요. · ` +
      `A cell in ${w.en} holds more than ${READ_LIMITS.cellChars.toLocaleString('en-US')} characters (Excel's limit); shorten or split it.`,
    'CELL_TOO_LONG',
  );
}

export function rowTooLong(place: ReadPlace): UserInputError {
  const w = where(place);
  return new UserInputError(
    `${w.ko}의 행 하나가 ${READ_LIMITS.rowChars.toLocaleString('en-US')}자를 넘습니다. 닫히지 않은 따옴표(")가 있으면 이후 내용이 모두 한 셀이 됩니다: 따옴표를 확인해 다시 저장해 주세요. · ` +
      `A row in ${w.en} is longer than ${READ_LIMITS.rowChars.toLocaleString('en-US')} characters; an unclosed quote (") turns the rest of the file into one cell. Check the quotes and save again.`,
    'ROW_TOO_LONG',
  );
}

export function unsafeXml(place: ReadPlace): UserInputError {
  const w = where(place);
  return new UserInputError(
    `${w.ko}에 DTD 또는 엔티티 선언(<!DOCTYPE, <!ENTITY)이 있습니다. 엑셀은 이런 XML을 쓰지 않으므로 안전을 위해 읽지 않습니다. 엑셀이나 LibreOffice에서 열어 .xlsx로 다시 저장해 주세요. · ` +
      `${w.en} holds a DTD or entity declaration, which Excel never writes; it is refused for safety. Open it in Excel or LibreOffice and save it as .xlsx again.`,
    'UNSAFE_XML',
  );
}

export function damagedFile(place: ReadPlace, format: 'CSV' | 'XLSX'): UserInputError {
  const w = where(place);
  return format === 'XLSX'
    ? new UserInputError(
        `${w.ko}을(를) 읽는 중 파일이 끝나거나 손상된 부분을 만났습니다(업로드가 끊겼거나 파일이 잘렸을 수 있음). 엑셀에서 열리는지 확인하고 다시 저장해 올려 주세요. · ` +
          `Reading ${w.en} hit a damaged or cut-off part of the workbook (an interrupted upload or a truncated file?); check that Excel opens it, save it again and upload it.`,
        'FILE_DAMAGED',
      )
    : new UserInputError(
        `${w.ko}을(를) CSV로 읽을 수 없습니다. 쉼표로 구분된 텍스트(CSV)로 다시 저장해 올려 주세요. · ` +
          `${w.en} cannot be read as CSV; save it again as comma-separated text and upload it.`,
        'FILE_DAMAGED',
      );
}

export function quoteNotClosed(place: ReadPlace): UserInputError {
  const w = where(place);
  return new UserInputError(
    `${w.ko}에서 시작한 따옴표(")가 파일 끝까지 닫히지 않습니다. 그 행의 따옴표를 고치거나 지우고 다시 올려 주세요. · ` +
      `A quote (") opened in ${w.en} is never closed; fix or remove it and upload again.`,
    'CSV_QUOTE_NOT_CLOSED',
  );
}

interface PartRefusal {
  name: 'PartRefused';
  reason: 'partBytes' | 'xmlRun' | 'sharedStrings' | 'dtd';
  limit: number;
}

interface CsvParseError {
  code: string;
  lines?: number;
}

/**
 * Any failure while reading, as the coded error a user gets: refusals of the part guard and the
 * CSV parser with where they happened; anything else (a damaged zip or deflate stream, a cut-off
 * file, an XML error) as FILE_DAMAGED. Internal messages, paths and stacks never reach users.
 */
export function describeReadError(err: unknown, place: ReadPlace, format: 'CSV' | 'XLSX'): UserInputError {
  if (err instanceof UserInputError) return err;
  const e = err as Partial<PartRefusal & CsvParseError & Error>;
  if (e?.name === 'PartRefused') {
    const r = err as PartRefusal;
    if (r.reason === 'dtd') return unsafeXml(place);
    if (r.reason === 'partBytes') return fileTooComplex(place, TOO_COMPLEX.partBytes(r.limit));
    if (r.reason === 'sharedStrings') return fileTooComplex(place, TOO_COMPLEX.sharedStrings(r.limit));
    return fileTooComplex(place, TOO_COMPLEX.xmlRun());
  }
  if (typeof e?.code === 'string' && e.code.startsWith('CSV_')) {
    const at = typeof e.lines === 'number' && e.lines > 0 ? { ...place, row: e.lines } : place;
    if (e.code === 'CSV_MAX_RECORD_SIZE') return rowTooLong(at);
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') return quoteNotClosed(at);
    return damagedFile(at, 'CSV');
  }
  if (err instanceof RangeError) return fileTooComplex(place, { ko: '값 하나가 너무 큽니다.', en: 'one value is too large.' });
  return damagedFile(place, format);
}
