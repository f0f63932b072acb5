import { DateResolver } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

/**
 * The GraphQL shapes of the API contract. Kept apart from the TypeORM entities: the API exposes
 * computed fields (progress, downloadUrl) and hides internals (paths, leases).
 * Every decorator names its type explicitly; nothing relies on emitDecoratorMetadata.
 */

export enum ConversionStatusEnum {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(ConversionStatusEnum, {
  name: 'ConversionStatus',
  valuesConfig: { EXPIRED: { description: 'Was COMPLETED; its files were deleted (RETENTION_HOURS or deleteConversion).' } },
});

export enum ConversionPhaseEnum {
  WAITING = 'WAITING',
  ANALYZING = 'ANALYZING',
  GEOCODING = 'GEOCODING',
  FINISHING = 'FINISHING',
  DONE = 'DONE',
}
registerEnumType(ConversionPhaseEnum, {
  name: 'ConversionPhase',
  description: 'What a conversion is doing: WAITING for a worker, ANALYZING the file, GEOCODING (and writing) rows, FINISHING the output, DONE.',
});

export enum OutputFormatEnum {
  XLSX = 'XLSX',
  CSV = 'CSV',
}
registerEnumType(OutputFormatEnum, { name: 'OutputFormat' });

export enum OutputLanguageEnum {
  KO = 'KO',
  EN = 'EN',
}
registerEnumType(OutputLanguageEnum, {
  name: 'OutputLanguage',
  description: 'Words of the output\'s 결과 and 비고 columns: KO (정상, 근접, 해당없음, 좌표오류; the default) or EN (OK, NEAREST, NO_MATCH, INVALID).',
});

export enum MatchResultEnum {
  OK = 'OK',
  NEAREST = 'NEAREST',
  NO_MATCH = 'NO_MATCH',
  INVALID = 'INVALID',
}
registerEnumType(MatchResultEnum, {
  name: 'MatchResult',
  description: 'OK: inside a polygon. NEAREST: outside every polygon but within maxDistanceMeters of one. NO_MATCH: farther. INVALID: unusable coordinates.',
});

@InputType('ConversionOptions', { description: 'How to read the file and what to produce; every field is optional.' })
export class ConversionOptionsInput {
  @Field(() => String, { nullable: true, description: 'The x (longitude/easting) column: header text, column letter (E) or 1-based number (5).' })
  xColumn?: string | null;

  @Field(() => String, { nullable: true, description: 'The y (latitude/northing) column, like xColumn.' })
  yColumn?: string | null;

  @Field(() => Int, { nullable: true, description: 'EPSG code of the coordinates, e.g. 4326 (lon/lat) or 5179 (Korea 2000 / Unified CS).' })
  srid?: number | null;

  @Field(() => [String], { nullable: true, description: 'XLSX: the sheets to convert (default: every sheet with coordinates).' })
  sheets?: string[] | null;

  @Field(() => OutputFormatEnum, { nullable: true, description: 'XLSX (default) or CSV (UTF-8 with BOM).' })
  outputFormat?: OutputFormatEnum | null;

  @Field(() => OutputLanguageEnum, { nullable: true, description: 'KO (default) or EN: the words of 결과 and 비고 in the output.' })
  outputLanguage?: OutputLanguageEnum | null;

  @Field(() => String, { nullable: true, description: 'Name of the boundary set to use (default: the configured one).' })
  boundarySet?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Several boundary sets in one pass (instead of boundarySet): one group of columns each; the first keeps the plain names, the others carry their label, e.g. 읍면동(법정동).',
  })
  boundarySets?: string[] | null;

  @Field(() => DateResolver, { nullable: true, description: 'Dated sets use the version valid on this day, for rows without a date of their own (default: the newest).' })
  asOf?: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'The column dating each row (header text, letter or 1-based number); each row then uses the version valid on its date. Detected when absent (날짜, 발생시각, date cells …).',
  })
  dateColumn?: string | null;

  @Field(() => Float, { nullable: true, description: 'Points outside every polygon but this close to one get it as NEAREST (default 200).' })
  maxDistanceMeters?: number | null;
}

export enum ColumnSourceEnum {
  OPTIONS = 'OPTIONS',
  HEADER = 'HEADER',
  VALUES = 'VALUES',
}
registerEnumType(ColumnSourceEnum, {
  name: 'ColumnSource',
  description: 'How the coordinate columns were found: named in the options, by a header naming them (경도/위도, X좌표/Y좌표, lon/lat …), or by their values.',
});

@ObjectType({ description: 'Where the coordinates were found in one sheet.' })
export class SheetColumns {
  @Field(() => String)
  sheet!: string;

  @Field(() => String, { nullable: true, description: 'Header of the x column (with its letter), null for a sheet copied unchanged.' })
  xColumn!: string | null;

  @Field(() => String, { nullable: true })
  yColumn!: string | null;

  @Field(() => Int, { description: '1-based row number of the header; 0 when the table starts with data.' })
  headerRow!: number;

  @Field(() => Int)
  dataRows!: number;

  @Field(() => Int, { nullable: true, description: 'EPSG code the sheet\'s coordinates were read in; null for a sheet copied unchanged.' })
  srid!: number | null;

  @Field(() => ColumnSourceEnum, { nullable: true, description: 'How the columns were found; null for a sheet copied unchanged.' })
  foundBy!: ColumnSourceEnum | null;

  @Field(() => Boolean, { description: 'The columns were labelled or ordered (y, x) and were read the other way round.' })
  swapped!: boolean;
}

@ObjectType('PhaseTimings', { description: 'Milliseconds spent per phase; read, geocode and write overlap in time.' })
export class PhaseTimingsType {
  @Field(() => Int)
  analyzeMs!: number;

  @Field(() => Int)
  readMs!: number;

  @Field(() => Int)
  geocodeMs!: number;

  @Field(() => Int)
  writeMs!: number;

  @Field(() => Int)
  totalMs!: number;

  @Field(() => Int, { nullable: true, description: 'Rows matched by the interior grid of the boundary set, without a point-in-polygon test in PostGIS.' })
  gridMatchedRows!: number | null;
}

@ObjectType('Conversion', { description: 'One uploaded file on its way to an XLSX/CSV with addresses.' })
export class ConversionType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  fileName!: string;

  @Field(() => ConversionStatusEnum)
  status!: ConversionStatusEnum;

  @Field(() => ConversionPhaseEnum)
  phase!: ConversionPhaseEnum;

  @Field(() => Int, { nullable: true, description: 'Data rows in the file; known once the file is analysed.' })
  totalRows!: number | null;

  @Field(() => Int)
  processedRows!: number;

  @Field(() => Int, { description: 'Data rows read so far (reading runs ahead of geocoding by at most a chunk or two).' })
  readRows!: number;

  @Field(() => Int, { description: 'Rows written to the output so far.' })
  writtenRows!: number;

  @Field(() => Int, { description: 'Rows that got an address (OK + NEAREST).' })
  matchedRows!: number;

  @Field(() => Int, { description: 'Of matchedRows, those matched to the nearest polygon within maxDistanceMeters.' })
  nearestRows!: number;

  @Field(() => Int)
  unmatchedRows!: number;

  @Field(() => Int)
  invalidRows!: number;

  @Field(() => Float, { description: '0..1' })
  progress!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => String, { nullable: true, description: 'Code of a FAILED conversion\'s error, e.g. NO_COORDINATES, DISK_FULL, TOO_MANY_COLUMNS, ENCRYPTED_FILE, INTERNAL' })
  errorCode!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Set once COMPLETED; GET it to download the file.' })
  downloadUrl!: string | null;

  @Field(() => OutputFormatEnum)
  outputFormat!: OutputFormatEnum;

  @Field(() => String, { nullable: true, description: 'The boundary set version used, as name@version.' })
  boundarySet!: string | null;

  @Field(() => [SheetColumns], { nullable: true, description: 'The coordinate columns used, per sheet.' })
  detectedColumns!: SheetColumns[] | null;

  @Field(() => Int, { nullable: true, description: 'EPSG code the coordinates were read in.' })
  detectedSrid!: number | null;

  @Field(() => [String], { description: 'What the analysis noticed (sheets copied unchanged, …).' })
  notes!: string[];

  @Field(() => PhaseTimingsType, { nullable: true, description: 'Where the time went, once COMPLETED.' })
  timings!: PhaseTimingsType | null;
}

@ObjectType({ description: 'One level of an address, e.g. level 3 읍면동 사직동.' })
export class AddressComponent {
  @Field(() => Int)
  level!: number;

  @Field(() => String)
  levelName!: string;

  @Field(() => String, { nullable: true })
  code!: string | null;

  @Field(() => String, { nullable: true })
  name!: string | null;
}

@ObjectType({ description: 'The administrative address of one point.' })
export class Address {
  @Field(() => MatchResultEnum)
  result!: MatchResultEnum;

  @Field(() => String, { nullable: true, description: 'Names joined by spaces, e.g. 서울특별시 종로구 사직동.' })
  address!: string | null;

  @Field(() => String, { nullable: true, description: 'Code of the deepest matched polygon.' })
  code!: string | null;

  @Field(() => Int, { nullable: true, description: 'Level of the deepest matched polygon.' })
  level!: number | null;

  @Field(() => String, { nullable: true })
  sido!: string | null;

  @Field(() => String, { nullable: true })
  sigungu!: string | null;

  @Field(() => String, { nullable: true })
  eupmyeondong!: string | null;

  @Field(() => String, { nullable: true })
  ri!: string | null;

  @Field(() => Float, { nullable: true, description: 'For NEAREST: metres from the point to the polygon.' })
  distanceMeters!: number | null;

  @Field(() => [AddressComponent])
  components!: AddressComponent[];

  @Field(() => String, { description: 'The boundary set version used, as name@version.' })
  boundarySet!: string;
}

@ObjectType()
export class BoundaryLevel {
  @Field(() => Int)
  level!: number;

  @Field(() => String)
  name!: string;

  @Field(() => Int)
  featureCount!: number;

  @Field(() => Int, { description: 'Polygons invalid as stored and repaired on import.' })
  repairedCount!: number;
}

@ObjectType('BoundarySetVersion', { description: 'One version of a set: dated versions apply from validFrom until the next one starts.' })
export class BoundarySetVersionType {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD the version starts to apply; null for an undated set.' })
  validFrom!: string | null;

  @Field(() => Boolean)
  isCurrent!: boolean;

  @Field(() => Date, { nullable: true })
  loadedAt!: Date | null;
}

@ObjectType('BoundarySet', { description: 'A loaded version of a boundary set.' })
export class BoundarySetType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => Boolean, { description: 'The version lookups by this name use.' })
  isCurrent!: boolean;

  @Field(() => Boolean, { description: 'Used when a request names no set.' })
  isDefault!: boolean;

  @Field(() => String)
  source!: string;

  @Field(() => Int, { description: 'EPSG code of the imported files.' })
  sourceSrid!: number;

  @Field(() => Date, { nullable: true })
  loadedAt!: Date | null;

  @Field(() => Int)
  featureCount!: number;

  @Field(() => [BoundaryLevel])
  levels!: BoundaryLevel[];

  @Field(() => String, { nullable: true, description: 'Names this set\'s columns beside another set\'s, e.g. 법정동 (읍면동(법정동)).' })
  label!: string | null;

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD this version starts to apply (a dated set); null for an undated set.' })
  validFrom!: string | null;

  @Field(() => String, { description: 'The date of the boundaries: validFrom, else the day they were loaded.' })
  date!: string;

  @Field(() => [BoundarySetVersionType], { description: 'The versions of this set name, oldest first (several for a dated set).' })
  versions!: BoundarySetVersionType[];
}

@ObjectType('RegionCount', { description: 'Matched rows (OK + NEAREST) in one region of a level.' })
export class RegionCountType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { description: 'The names down to this level, e.g. 서울특별시 종로구.' })
  name!: string;

  @Field(() => Int)
  rows!: number;

  @Field(() => String, {
    description:
      "The set version whose polygon the region is (name@version, as Conversion.boundarySet): the conversion's own for every region it has; for rows dated by a column, an older or newer version's for a region only it has (청원군 in kostat-2013). Tiles: /tiles/<name before @>/…",
  })
  boundarySet!: string;
}

@ObjectType('ProblemRow', { description: 'A row that needs a look: NEAREST, NO_MATCH or INVALID.' })
export class ProblemRowType {
  @Field(() => String)
  sheet!: string;

  @Field(() => Int, { description: 'The row number as a spreadsheet shows it (the header of a plain CSV is row 1).' })
  rowNumber!: number;

  @Field(() => MatchResultEnum)
  result!: MatchResultEnum;

  @Field(() => Float, { nullable: true, description: 'x as read; null when the cell holds no number.' })
  x!: number | null;

  @Field(() => Float, { nullable: true })
  y!: number | null;

  @Field(() => Float, { nullable: true, description: 'The point as longitude (EPSG:4326), for maps; null for INVALID rows.' })
  lon!: number | null;

  @Field(() => Float, { nullable: true })
  lat!: number | null;

  @Field(() => String, { nullable: true, description: 'Why (in the output\'s language): the coordinates\' problem, or how far outside the nearest boundary.' })
  reason!: string | null;
}
