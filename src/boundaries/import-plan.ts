import path from 'node:path';
import { UserInputError } from '../errors';
import type { DbfEncoding } from './dbf-encoding';
import { splitCityDistrict } from './default-set';
import type { LevelSource } from './features';
import { inspectGeoJson, readGeoJsonFeatures, type PropertyMapping } from './geojson-reader';
import { detectKostat, detectTlScco, type LevelMapping } from './level-detection';
import { defaultLevelName } from './levels';
import { inspectShapefile, readShapefileFeatures } from './shapefile-reader';

/** What the user asked for on the command line (or a test asks for directly). */
export interface ImportFilesOptions {
  /** Set name; derived from the files when not given (`tl-scco` for the official layout). */
  set?: string;
  /** EPSG code of the files' coordinates, overriding their `.prj`/`crs`. */
  srid?: number;
  /** DBF text encoding, overriding `.cpg` (and the CP949 default). */
  encoding?: string;
  /** One level per file, in file order (or a single value for a single file). */
  levels?: number[];
  /** One field for every file, or one per file. */
  codeFields?: string[];
  nameFields?: string[];
  /** Called for every record that is skipped (no polygon, no code or name). */
  onSkip?: (file: string, why: string) => void;
}

/** One file as it will be imported: which level, which fields, which CRS and why. */
export interface PlannedFile {
  file: string;
  format: 'Shapefile' | 'GeoJSON' | 'TopoJSON';
  level: number;
  levelName: string;
  codeField: string;
  nameField: string;
  srid: number;
  sridFrom: string;
  encoding: DbfEncoding | null;
  recognisedAs: string;
  records: number;
}

export interface ImportPlan {
  name: string;
  source: string;
  files: PlannedFile[];
  levels: LevelSource[];
  warnings: string[];
}

const SHAPEFILE = /\.shp$/i;
const JSON_FILE = /\.(geo|topo)?json$/i;

/**
 * Looks at every file (headers only, no polygons yet) and decides how it becomes a level: the
 * official TL_SCCO layout and KOSTAT code/name files are recognised; anything else needs
 * `--level`, `--code-field` and `--name-field`. Every problem is a UserInputError that names the
 * file and what to do, found before anything is written to the database.
 */
export async function planImport(files: string[], options: ImportFilesOptions = {}): Promise<ImportPlan> {
  if (files.length === 0) throw new UserInputError('No files given: pass .shp, .geojson/.json or .topojson files', 'BAD_BOUNDARY_FILE');
  const warnings: string[] = [];
  const planned: PlannedFile[] = [];
  const levels: LevelSource[] = [];

  for (const [i, given] of files.entries()) {
    const file = path.resolve(given);
    const flags = flagsFor(options, i, files.length);
    if (SHAPEFILE.test(file)) {
      const info = await inspectShapefile(file, { encoding: options.encoding });
      warnings.push(...info.warnings);
      const mapping = chooseMapping(file, info.fields, null, flags);
      const { srid, sridFrom } = chooseSrid(file, options.srid, info.crs ? { srid: info.crs.srid, from: `.prj (${info.crs.name}, by ${info.crs.via})` } : null, info.crsProblem);
      const propertyMapping = toPropertyMapping(mapping);
      planned.push({ file, format: 'Shapefile', ...describe(mapping), srid, sridFrom, encoding: info.encoding, records: info.recordCount });
      levels.push({
        level: mapping.level,
        name: defaultLevelName(mapping.level),
        srid,
        origin: path.basename(file),
        features: () => readShapefileFeatures(info, propertyMapping, (why) => options.onSkip?.(file, why)),
      });
    } else if (JSON_FILE.test(file)) {
      const info = await inspectGeoJson(file);
      const firstCode = textOf(info.firstProperties.code);
      const mapping = chooseMapping(file, info.properties, firstCode, flags);
      const { srid, sridFrom } = chooseSrid(
        file,
        options.srid,
        { srid: info.declaredSrid ?? 4326, from: info.declaredSrid ? 'its crs member' : 'GeoJSON default (lon/lat)' },
        null,
      );
      if (srid === 4326 && info.firstCoordinate && (Math.abs(info.firstCoordinate[0]) > 180 || Math.abs(info.firstCoordinate[1]) > 90)) {
        throw new UserInputError(
          `${file}: coordinates like (${info.firstCoordinate.join(', ')}) are not longitude/latitude; pass --srid with the file's EPSG code (e.g. 5179)`,
          'BAD_BOUNDARY_FILE',
        );
      }
      const propertyMapping = toPropertyMapping(mapping);
      planned.push({ file, format: info.format, ...describe(mapping), srid, sridFrom, encoding: null, records: info.featureCount });
      levels.push({
        level: mapping.level,
        name: defaultLevelName(mapping.level),
        srid,
        origin: path.basename(file),
        features: () => readGeoJsonFeatures(file, propertyMapping, (why) => options.onSkip?.(file, why)),
      });
    } else {
      throw new UserInputError(`${file}: unsupported file type (expected .shp, .geojson, .json or .topojson)`, 'BAD_BOUNDARY_FILE');
    }
  }

  const seen = new Map<number, string>();
  for (const p of planned) {
    const other = seen.get(p.level);
    if (other) throw new UserInputError(`${path.basename(other)} and ${path.basename(p.file)} are both level ${p.level}; give --level per file`, 'BAD_BOUNDARY_FILE');
    seen.set(p.level, p.file);
  }

  const official = planned.every((p) => p.recognisedAs.startsWith('TL_SCCO'));
  const name = options.set ?? (official ? 'tl-scco' : path.basename(planned[0].file).replace(/\.[^.]+$/, '').toLowerCase());
  const srids = [...new Set(planned.map((p) => p.srid))];
  const source = `${planned.map((p) => path.basename(p.file)).join(', ')} (EPSG:${srids.join('/')})`;
  return { name, source, files: planned, levels, warnings };
}

interface FileFlags {
  level?: number;
  codeField?: string;
  nameField?: string;
}

/** `--level 1,2,3` gives one level per file; a field flag with one value applies to every file. */
function flagsFor(options: ImportFilesOptions, index: number, count: number): FileFlags {
  const pick = <T>(values: T[] | undefined, flag: string): T | undefined => {
    if (!values || values.length === 0) return undefined;
    if (values.length === 1 && (count === 1 || flag !== '--level')) return values[0];
    if (values.length === count) return values[index];
    throw new UserInputError(`${flag} has ${values.length} values for ${count} files: give one per file, in the same order`, 'BAD_BOUNDARY_FILE');
  };
  return { level: pick(options.levels, '--level'), codeField: pick(options.codeFields, '--code-field'), nameField: pick(options.nameFields, '--name-field') };
}

/** Flags win; then the official layout; then KOSTAT's code/name; else the user must say. */
function chooseMapping(file: string, fields: string[], firstCode: string | null, flags: FileFlags): LevelMapping {
  const detected = detectTlScco(file, fields) ?? detectKostat(fields, firstCode);
  const level = flags.level ?? detected?.level;
  const codeField = flags.codeField ?? detected?.codeField;
  const nameField = flags.nameField ?? detected?.nameField;
  if (level === undefined || !codeField || !nameField) {
    const missing = [level === undefined && '--level', !codeField && '--code-field', !nameField && '--name-field'].filter(Boolean).join(', ');
    throw new UserInputError(
      `${file}: not a recognised layout (TL_SCCO_* or KOSTAT code/name); give ${missing}. Its fields: ${fields.join(', ') || '(none)'}`,
      'BAD_BOUNDARY_FILE',
    );
  }
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new UserInputError(`${file}: --level must be an integer from 1 to 9`, 'BAD_BOUNDARY_FILE');
  for (const [flag, field] of [['--code-field', codeField], ['--name-field', nameField]] as const) {
    if (!fields.includes(field)) {
      throw new UserInputError(`${file}: no field "${field}" (${flag}); its fields: ${fields.join(', ') || '(none)'}`, 'BAD_BOUNDARY_FILE');
    }
  }
  const byFlags = flags.level !== undefined || flags.codeField !== undefined || flags.nameField !== undefined;
  return { level, codeField, nameField, recognisedAs: byFlags ? (detected ? `${detected.recognisedAs} + flags` : 'flags') : detected!.recognisedAs };
}

function chooseSrid(file: string, override: number | undefined, fromFile: { srid: number; from: string } | null, problem: string | null) {
  if (override !== undefined) return { srid: override, sridFrom: '--srid' };
  if (fromFile) return { srid: fromFile.srid, sridFrom: fromFile.from };
  throw new UserInputError(`${file}: unknown coordinate system: ${problem}. Pass --srid with its EPSG code (e.g. 5179 for TL_SCCO data).`, 'UNKNOWN_SRID');
}

function toPropertyMapping(mapping: LevelMapping): PropertyMapping {
  // Joined names of non-autonomous 구 (`수원시장안구`, as KOSTAT writes them) become `수원시 장안구`, as in addresses.
  const recognised = !mapping.recognisedAs.startsWith('flags');
  return { codeField: mapping.codeField, nameField: mapping.nameField, normalizeName: recognised && mapping.level === 2 ? splitCityDistrict : undefined };
}

function describe(mapping: LevelMapping) {
  return { level: mapping.level, levelName: defaultLevelName(mapping.level), codeField: mapping.codeField, nameField: mapping.nameField, recognisedAs: mapping.recognisedAs };
}

function textOf(value: unknown): string | null {
  return value === null || value === undefined || value === '' ? null : String(value).trim();
}
