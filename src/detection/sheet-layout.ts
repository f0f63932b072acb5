import { describeColumn, findColumnByName, findColumnByPosition, headerText, indexToLetter } from './columns';
import { UserInputError } from '../errors';
import type { Row } from '../reading/table-source';
import { PROJECTED, candidateFor, describeSrid } from './crs-candidates';
import { judgeCrs, shareInside, type Point } from './crs-verdict';
import { headerAboveData, probableHeader, rowWithCoordinateNames } from './header-row';
import { pointsIn } from './numbers';
import { findColumnsByValues } from './value-columns';

/** How the coordinate columns of a sheet were found. */
export type ColumnSource = 'OPTIONS' | 'HEADER' | 'VALUES';

export interface SheetLayout {
  /** 0-based row of the header; -1 when the table starts with data. */
  headerRow: number;
  header: string[];
  /** 0-based; null when the sheet has no coordinates (it is copied through). */
  xIndex: number | null;
  yIndex: number | null;
  /** EPSG code of the sheet's coordinates; null when it has none. */
  srid: number | null;
  foundBy: ColumnSource | null;
  /** The columns' labels or order say (y, x): the values were read the other way round. */
  swapped: boolean;
  notes: string[];
}

export interface LayoutOptions {
  xColumn?: string;
  yColumn?: string;
  srid?: number;
}

/**
 * A header naming the columns only needs most sampled rows to agree with a system: some rows of
 * a real file are bad, and those become INVALID rows, not a failed file.
 */
const MIN_SHARE_NAMED = 0.5;

/**
 * Works out where a sheet's table and coordinates are from its first rows (a bounded sample, so
 * this costs the same for any file size): the columns from the options, else from header names,
 * else from the values; the header row above the data, title rows left above it; the coordinate
 * system from the options, else from the values. Throws when the values fit several systems that
 * cannot be told apart, rather than converting every row to a wrong place.
 */
export function detectSheetLayout(sheet: string, rows: readonly Row[], options: LayoutOptions): SheetLayout {
  const found = findColumns(rows, options);
  if (!found) {
    const headerRow = probableHeader(rows);
    const why = options.xColumn
      ? `has no columns matching xColumn "${options.xColumn}" and yColumn "${options.yColumn}"`
      : 'has no coordinate columns';
    return {
      headerRow,
      header: headerRow < 0 ? [] : rows[headerRow].map(headerText),
      xIndex: null,
      yIndex: null,
      srid: null,
      foundBy: null,
      swapped: false,
      notes: [`Sheet "${sheet}" ${why} and is copied unchanged.`],
    };
  }

  let { xIndex, yIndex } = found;
  const header = found.headerRow < 0 ? [] : rows[found.headerRow].map(headerText);
  const dataRows = rows.slice(found.headerRow + 1);
  const points = pointsIn(dataRows, xIndex, yIndex);
  const crs = decideCrs(sheet, points, found, options.srid, header);
  const notes: string[] = [];
  if (crs.swapped && found.foundBy === 'HEADER') {
    notes.push(
      `Sheet "${sheet}": ${describeColumn(header, xIndex)} holds y and ${describeColumn(header, yIndex)} holds x values ` +
        `(${crs.axes}); they were read the other way round. Set xColumn and yColumn to override.`,
    );
    [xIndex, yIndex] = [yIndex, xIndex];
  }
  if (found.foundBy === 'VALUES') {
    const order = xIndex > yIndex ? ' (the columns are in y, x order)' : '';
    notes.push(
      `Sheet "${sheet}": no header names the coordinates; by their values they are x = ${describeColumn(header, xIndex)} ` +
        `and y = ${describeColumn(header, yIndex)}${order}. Set xColumn and yColumn to override.`,
    );
  }
  if (crs.looksSwapped) {
    notes.push(`Sheet "${sheet}": the values of xColumn and yColumn look like (y, x); check the options if addresses are missing.`);
  }
  notes.push(...crs.notes.map((n) => `Sheet "${sheet}": ${n}`));
  return {
    headerRow: found.headerRow,
    header,
    xIndex,
    yIndex,
    srid: crs.srid,
    foundBy: found.foundBy,
    swapped: crs.swapped || (found.foundBy === 'VALUES' && xIndex > yIndex),
    notes,
  };
}

interface FoundColumns {
  headerRow: number;
  xIndex: number;
  yIndex: number;
  foundBy: ColumnSource;
}

function findColumns(rows: readonly Row[], options: LayoutOptions): FoundColumns | null {
  if (options.xColumn && options.yColumn) return columnsFromOptions(rows, options.xColumn, options.yColumn);
  const named = rowWithCoordinateNames(rows);
  if (named) return { headerRow: named.row, xIndex: named.xIndex, yIndex: named.yIndex, foundBy: 'HEADER' };
  const known = options.srid === undefined ? undefined : candidateFor(options.srid);
  // An srid the detection has no range for cannot be recognised in values: the user names the columns.
  if (options.srid !== undefined && !known) return null;
  const byValues = findColumnsByValues(rows, known ? [known] : undefined);
  if (!byValues) return null;
  const { xIndex, yIndex } = byValues;
  return { headerRow: headerAboveData(rows, xIndex, yIndex), xIndex, yIndex, foundBy: 'VALUES' };
}

/**
 * xColumn/yColumn as header texts (the first row that has them) or positions (letters, numbers;
 * the header is then the row above the data).
 */
function columnsFromOptions(rows: readonly Row[], xSpec: string, ySpec: string): FoundColumns | null {
  const xPos = findColumnByPosition(xSpec);
  const yPos = findColumnByPosition(ySpec);
  for (let i = 0; i < rows.length; i++) {
    const header = rows[i].map(headerText);
    const xName = findColumnByName(xSpec, header);
    const yName = findColumnByName(ySpec, header);
    if (xName < 0 && yName < 0) continue;
    const xIndex = xName >= 0 ? xName : xPos;
    const yIndex = yName >= 0 ? yName : yPos;
    if (xIndex >= 0 && yIndex >= 0) return checked({ headerRow: i, xIndex, yIndex, foundBy: 'OPTIONS' });
  }
  if (xPos < 0 || yPos < 0) return null;
  return checked({ headerRow: headerAboveData(rows, xPos, yPos), xIndex: xPos, yIndex: yPos, foundBy: 'OPTIONS' });
}

function checked(found: FoundColumns): FoundColumns {
  if (found.xIndex === found.yIndex) {
    throw new UserInputError(`xColumn and yColumn both point at column ${indexToLetter(found.xIndex)}.`, 'BAD_USER_INPUT');
  }
  return found;
}

interface CrsDecision {
  srid: number;
  swapped: boolean;
  /** Explicit columns whose values read better the other way round (reported, not changed). */
  looksSwapped: boolean;
  axes: string;
  notes: string[];
}

function decideCrs(sheet: string, points: Point[], found: FoundColumns, srid: number | undefined, header: string[]): CrsDecision {
  const decision = (s: number, swapped = false, notes: string[] = []): CrsDecision => ({
    srid: s,
    swapped,
    looksSwapped: false,
    axes: s === 4326 ? 'latitude and longitude' : 'northing and easting',
    notes,
  });
  const columns = `${describeColumn(header, found.xIndex)} and ${describeColumn(header, found.yIndex)}`;

  if (srid !== undefined) {
    const known = candidateFor(srid);
    if (!known || points.length === 0) return decision(srid);
    const straight = shareInside(known, points);
    const reversed = shareInside(known, points, true);
    if (straight < MIN_SHARE_NAMED && reversed >= MIN_SHARE_NAMED) {
      // Columns the user named are used as named; columns we guessed are turned round.
      if (found.foundBy === 'OPTIONS') return { ...decision(srid), looksSwapped: true };
      if (found.foundBy === 'HEADER') return decision(srid, true);
    }
    return decision(srid);
  }

  if (points.length === 0) {
    return decision(4326, false, [`no sampled row has numbers in ${columns}; read as longitude/latitude.`]);
  }
  const verdict = judgeCrs(points, { minShare: MIN_SHARE_NAMED, allowSwap: found.foundBy === 'HEADER' });
  if (verdict.kind === 'known') {
    const notes = verdict.candidate.srid === 4326 ? [] : [`the values are ${describeSrid(verdict.candidate.srid)} coordinates.`];
    return decision(verdict.candidate.srid, verdict.swapped, notes);
  }
  const [x, y] = points[0];
  const example = `e.g. x = ${x}, y = ${y}`;
  if (verdict.kind === 'ambiguous') {
    const names = verdict.candidates.map((c) => describeSrid(c.srid)).join(', ');
    throw new UserInputError(
      `Sheet "${sheet}": the coordinates in ${columns} (${example}) fit several coordinate systems: ${names}. ` +
        `Their values overlap, so the file cannot say which; set the srid option to the EPSG code of your data ` +
        `(e.g. srid: ${verdict.candidates[0].srid}).`,
      'AMBIGUOUS_SRID',
    );
  }
  if (points.every(([px, py]) => Math.abs(px) <= 180 && Math.abs(py) <= 90)) {
    return decision(4326, false, [`the values in ${columns} look like longitude/latitude, but most lie outside Korea.`]);
  }
  const recognised = [describeSrid(4326), ...PROJECTED.filter((c) => c.recognisable).map((c) => describeSrid(c.srid))];
  throw new UserInputError(
    `Sheet "${sheet}": the coordinates in ${columns} (${example}) are in no coordinate system recognised from its values ` +
      `(${recognised.join(', ')}) over Korea; set the srid option to their EPSG code.`,
    'UNRECOGNISED_COORDINATES',
  );
}
