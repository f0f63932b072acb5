import type { DetectedLayout, DetectedSheet, StoredConversionOptions } from '../entities/Conversion';
import { UserInputError } from '../errors';
import type { Row, TableSource } from '../reading/table-source';
import { columnsFromHeader, headerText, indexToLetter, resolveColumnSpec } from './columns';

/**
 * The first pass over a file: which sheets to convert, where each header is, which columns hold
 * the coordinates and how many data rows there are (for progress). The result is stored on the
 * conversion so the user can see what was used and a resumed job reads the file the same way.
 */
export async function analyzeFile(source: TableSource, options: StoredConversionOptions): Promise<DetectedLayout> {
  const available = await source.sheetNames();
  const wanted = options.sheets?.length ? options.sheets : available;
  const missing = wanted.filter((s) => !available.includes(s));
  if (missing.length) {
    throw new UserInputError(
      `Sheet ${missing.map((s) => `"${s}"`).join(', ')} not found; the file has ${available.map((s) => `"${s}"`).join(', ')}.`,
      'UNKNOWN_SHEET',
    );
  }

  const sheets: DetectedSheet[] = [];
  const notes: string[] = [];
  for (const name of available) {
    if (!wanted.includes(name)) continue;
    const sheet = await analyzeSheet(source, name, options);
    if (sheet.xIndex === null) notes.push(`Sheet "${name}" has no coordinate columns and is copied unchanged.`);
    sheets.push(sheet);
  }
  if (!sheets.some((s) => s.xIndex !== null && s.dataRows > 0)) {
    const headers = sheets.map((s) => `"${s.name}": ${s.header.filter(Boolean).join(', ') || '(empty)'}`).join('; ');
    throw new UserInputError(
      `No coordinate columns found (headers ${headers}). Name them x/y, lon/lat, 경도/위도, or set xColumn and yColumn.`,
      'NO_COORDINATES',
    );
  }
  return {
    format: source.settings.format,
    encoding: source.settings.encoding,
    delimiter: source.settings.delimiter,
    srid: options.srid ?? 4326,
    sheets,
    notes,
  };
}

async function analyzeSheet(source: TableSource, name: string, options: StoredConversionOptions): Promise<DetectedSheet> {
  let headerRow = -1;
  let header: string[] = [];
  let dataRows = 0;
  let index = 0;
  for await (const row of source.rows(name)) {
    if (headerRow < 0) {
      if (isHeaderCandidate(row)) {
        headerRow = index;
        header = row.map(headerText);
      }
    } else {
      dataRows++;
    }
    index++;
  }
  const columns = headerRow < 0 ? null : pickColumns(header, options);
  return {
    name,
    headerRow: Math.max(headerRow, 0),
    header,
    xIndex: columns?.xIndex ?? null,
    yIndex: columns?.yIndex ?? null,
    dataRows: columns ? dataRows : 0,
  };
}

/** The header is the first row with at least two filled cells (title rows above it have one). */
function isHeaderCandidate(row: Row): boolean {
  return row.filter((c) => headerText(c) !== '').length >= 2;
}

function pickColumns(header: string[], options: StoredConversionOptions): { xIndex: number; yIndex: number } | null {
  if (options.xColumn || options.yColumn) {
    if (!options.xColumn || !options.yColumn) throw new UserInputError('Give both xColumn and yColumn, or neither.', 'BAD_USER_INPUT');
    const xIndex = resolveColumnSpec(options.xColumn, header, 'xColumn');
    const yIndex = resolveColumnSpec(options.yColumn, header, 'yColumn');
    if (xIndex === yIndex) throw new UserInputError(`xColumn and yColumn both point at column ${indexToLetter(xIndex)}.`, 'BAD_USER_INPUT');
    return { xIndex, yIndex };
  }
  return columnsFromHeader(header);
}
