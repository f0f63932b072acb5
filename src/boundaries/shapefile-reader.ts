import fs from 'node:fs';
import path from 'node:path';
import { DBFFile, DELETED } from 'dbffile';
import type { Geometry } from 'geojson';
import * as shapefile from 'shapefile';
import { UserInputError } from '../errors';
import { resolveDbfEncoding, type DbfEncoding } from './dbf-encoding';
import type { BoundaryFeature } from './features';
import type { PropertyMapping } from './geojson-reader';
import { sridFromPrj, type CrsMatch } from './prj-srid';

/** What is known about a shapefile before its records are read: enough to pick levels and fields. */
export interface ShapefileInfo {
  shpPath: string;
  dbfPath: string;
  prjPath: string | null;
  fields: string[];
  recordCount: number;
  encoding: DbfEncoding;
  /** The CRS its `.prj` describes; null when there is no `.prj` or it is not a known system. */
  crs: CrsMatch | null;
  /** Why `crs` is null, for the error message when no `--srid` was given either. */
  crsProblem: string | null;
  /** Non-fatal oddities (a missing `.shx`), for the report. */
  warnings: string[];
}

/** Records read from the DBF per round trip to the file. */
const DBF_BATCH = 500;

/**
 * Looks at a `.shp` and the files beside it: the `.dbf` (required: it holds codes and names),
 * the `.prj` (the CRS), the `.cpg` (the text encoding). Sibling names are matched without case,
 * since downloads come as both `X.shp/X.dbf` and `X.SHP/X.DBF`.
 */
export async function inspectShapefile(shpPath: string, options: { encoding?: string } = {}): Promise<ShapefileInfo> {
  if (!fs.existsSync(shpPath)) throw new UserInputError(`${shpPath}: file not found`, 'BAD_BOUNDARY_FILE');
  const dbfPath = sibling(shpPath, '.dbf');
  if (!dbfPath) {
    throw new UserInputError(`${shpPath}: no .dbf beside it (the codes and names are in ${path.basename(shpPath, path.extname(shpPath))}.dbf)`, 'BAD_BOUNDARY_FILE');
  }
  const warnings: string[] = [];
  if (!sibling(shpPath, '.shx')) warnings.push(`${path.basename(shpPath)}: no .shx beside it (not needed for reading, but the set may be incomplete)`);
  const prjPath = sibling(shpPath, '.prj');
  let crs: CrsMatch | null = null;
  let crsProblem: string | null = null;
  if (!prjPath) crsProblem = 'it has no .prj';
  else {
    const wkt = fs.readFileSync(prjPath, 'utf8').trim();
    try {
      crs = sridFromPrj(wkt);
      if (!crs) crsProblem = `its .prj describes a coordinate system this importer does not recognise (${wkt.slice(0, 120)}…)`;
    } catch (err) {
      crsProblem = `its .prj cannot be read: ${(err as Error).message}`;
    }
  }
  const encoding = resolveDbfEncoding(sibling(shpPath, '.cpg'), options.encoding);
  const dbf = await openDbf(dbfPath, encoding.encoding);
  return {
    shpPath,
    dbfPath,
    prjPath,
    fields: dbf.fields.map((f) => f.name),
    recordCount: dbf.recordCount,
    encoding,
    crs,
    crsProblem,
    warnings,
  };
}

/**
 * Yields the polygons of a shapefile with code and name from the given DBF fields, reading the
 * `.shp` (with the `shapefile` package) and the `.dbf` (with `dbffile`, which decodes through
 * iconv-lite: Node's own and the `shapefile` package's decoders have no CP949) record by record,
 * so memory stays flat whatever the file size. Records without polygon, code or name go to `onSkip`.
 */
export async function* readShapefileFeatures(
  info: ShapefileInfo,
  mapping: PropertyMapping,
  onSkip: (why: string) => void = () => {},
): AsyncGenerator<BoundaryFeature> {
  for (const field of [mapping.codeField, mapping.nameField]) {
    if (!info.fields.includes(field)) {
      throw new UserInputError(`${path.basename(info.dbfPath)} has no field ${field} (its fields: ${info.fields.join(', ')})`, 'BAD_BOUNDARY_FILE');
    }
  }
  const dbf = await openDbf(info.dbfPath, info.encoding.encoding);
  const shp = await shapefile.openShp(info.shpPath);
  let recordNo = 0;
  try {
    for (;;) {
      const records = await dbf.readRecords(DBF_BATCH);
      if (records.length === 0) break;
      for (const record of records) {
        recordNo++;
        const { done, value } = await shp.read();
        if (done) throw new UserInputError(`${path.basename(info.shpPath)} has fewer shapes than ${path.basename(info.dbfPath)} has records (${info.recordCount})`, 'BAD_BOUNDARY_FILE');
        if (record[DELETED]) continue;
        const geometry = value as Geometry | null;
        const code = textOf(record[mapping.codeField]);
        const rawName = textOf(record[mapping.nameField]);
        if (!geometry || (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon')) {
          onSkip(`record ${recordNo} (${code ?? '?'}) has no polygon`);
          continue;
        }
        if (!code || !rawName) {
          onSkip(`record ${recordNo} lacks ${mapping.codeField} or ${mapping.nameField}`);
          continue;
        }
        yield { code, name: mapping.normalizeName ? mapping.normalizeName(rawName) : rawName, geometry };
      }
    }
    if (!(await shp.read()).done) {
      throw new UserInputError(`${path.basename(info.shpPath)} has more shapes than ${path.basename(info.dbfPath)} has records (${info.recordCount})`, 'BAD_BOUNDARY_FILE');
    }
  } finally {
    await shp.cancel().catch(() => {});
  }
}

function openDbf(dbfPath: string, encoding: string): Promise<DBFFile> {
  // Deleted records are read (and skipped by the caller) so the n-th record stays the n-th shape.
  return DBFFile.open(dbfPath, { encoding, includeDeletedRecords: true, readMode: 'loose' }).catch((err: Error) => {
    throw new UserInputError(`${dbfPath}: not a readable DBF file (${err.message})`, 'BAD_BOUNDARY_FILE');
  });
}

function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  return text === '' ? null : text;
}

/** The file beside `file` with the same base name and the given extension, matched without case. */
export function sibling(file: string, ext: string): string | null {
  const dir = path.dirname(file);
  const base = path.basename(file, path.extname(file)).toLowerCase();
  const wanted = base + ext.toLowerCase();
  const match = fs.readdirSync(dir).find((f) => f.toLowerCase() === wanted);
  return match ? path.join(dir, match) : null;
}
