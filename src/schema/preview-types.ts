import { Field, Float, Int, ObjectType } from 'type-graphql';
import { ColumnSourceEnum, MatchResultEnum } from './types';

/** The GraphQL shapes of `previewFile`. Every decorator names its type explicitly. */

@ObjectType('PreviewSetAnswer', { description: 'A row\'s answer from one further boundary set.' })
export class PreviewSetAnswer {
  @Field(() => String)
  label!: string;

  @Field(() => String, { nullable: true })
  address!: string | null;

  @Field(() => String, { nullable: true })
  code!: string | null;
}

@ObjectType('PreviewRow', { description: 'One of the first data rows of a sheet, with the lookup a conversion would give it.' })
export class PreviewRowType {
  @Field(() => Int, { description: '1-based row number in the sheet, as Excel shows it.' })
  rowNumber!: number;

  @Field(() => [String], { nullable: 'items', description: 'The row\'s cells as text (dates in ISO 8601); null for empty cells.' })
  cells!: (string | null)[];

  @Field(() => Float, { nullable: true, description: 'The x coordinate as read; null when the row is INVALID.' })
  x!: number | null;

  @Field(() => Float, { nullable: true })
  y!: number | null;

  @Field(() => MatchResultEnum)
  result!: MatchResultEnum;

  @Field(() => String, { nullable: true })
  address!: string | null;

  @Field(() => String, { nullable: true })
  code!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the row is INVALID, or how far a NEAREST match lies outside its polygon.' })
  note!: string | null;

  @Field(() => [PreviewSetAnswer], { description: 'With boundarySets: the further sets\' answers, in order.' })
  otherSets!: PreviewSetAnswer[];

  @Field(() => String, { nullable: true, description: 'Which dated versions the row used (경계기준), when rows are dated.' })
  basis!: string | null;
}

@ObjectType('PreviewSheet', { description: 'One sheet of a previewed file: what a conversion would read from it.' })
export class PreviewSheetType {
  @Field(() => String)
  name!: string;

  @Field(() => Boolean, { description: 'False for a sheet without coordinates, which is copied unchanged.' })
  converted!: boolean;

  @Field(() => Int, { description: '1-based row number of the header; 0 when the table starts with data.' })
  headerRow!: number;

  @Field(() => [String])
  header!: string[];

  @Field(() => String, { nullable: true, description: 'The x column with its letter, e.g. "경도 (D)".' })
  xColumn!: string | null;

  @Field(() => String, { nullable: true })
  yColumn!: string | null;

  @Field(() => ColumnSourceEnum, { nullable: true })
  foundBy!: ColumnSourceEnum | null;

  @Field(() => Boolean)
  swapped!: boolean;

  @Field(() => Int, { nullable: true, description: 'EPSG code the coordinates would be read in.' })
  srid!: number | null;

  @Field(() => Int, { description: 'Data rows below the header (all of them, not only the previewed ones).' })
  dataRows!: number;

  @Field(() => [PreviewRowType], { description: 'The first data rows with their lookups; empty for a sheet copied unchanged.' })
  rows!: PreviewRowType[];
}

@ObjectType('FilePreview', { description: 'What converting a file would do, worked out without creating a conversion.' })
export class FilePreviewType {
  @Field(() => String)
  fileName!: string;

  @Field(() => String, { description: 'CSV (also TSV) or XLSX.' })
  format!: string;

  @Field(() => String, { nullable: true, description: 'CSV: the detected text encoding (utf-8, cp949, …).' })
  encoding!: string | null;

  @Field(() => String, { nullable: true, description: 'CSV: the detected delimiter.' })
  delimiter!: string | null;

  @Field(() => Int, { description: 'EPSG code of the coordinates (of the first converted sheet).' })
  detectedSrid!: number;

  @Field(() => String, { description: 'The boundary set version the lookups used, as name@version.' })
  boundarySet!: string;

  @Field(() => [String])
  notes!: string[];

  @Field(() => [PreviewSheetType])
  sheets!: PreviewSheetType[];
}
