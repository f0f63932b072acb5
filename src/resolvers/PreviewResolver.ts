import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Arg, Ctx, Int, Mutation, Resolver } from 'type-graphql';
import { DEFAULT_PREVIEW_ROWS } from '../preview/preview-service';
import type { Context } from '../schema/context';
import { FilePreviewType } from '../schema/preview-types';
import { ConversionOptionsInput, type ColumnSourceEnum, type MatchResultEnum } from '../schema/types';
import { withUserErrors } from './errors';
import { receiveUpload } from './upload';

/** previewFile: a mutation because it takes an upload; it creates nothing. The work is in PreviewService. */
@Resolver(() => FilePreviewType)
export class PreviewResolver {
  @Mutation(() => FilePreviewType, {
    description: 'Analyse a file as createConversion would and look up its first rows, without creating a conversion.',
  })
  previewFile(
    @Arg('file', () => GraphQLUpload) file: Promise<FileUpload>,
    @Arg('options', () => ConversionOptionsInput, { nullable: true }) options: ConversionOptionsInput | null,
    @Arg('rows', () => Int, { defaultValue: DEFAULT_PREVIEW_ROWS, description: 'How many data rows per sheet to look up (1–50).' }) rows: number,
    @Ctx() ctx: Context,
  ): Promise<FilePreviewType> {
    return withUserErrors(async () => {
      const upload = await receiveUpload(file, ctx.services.maxUploadBytes);
      const preview = await ctx.services.preview.preview(upload, { ...(options ?? {}) }, rows);
      return {
        ...preview,
        sheets: preview.sheets.map((s) => ({
          ...s,
          foundBy: s.foundBy as ColumnSourceEnum | null,
          rows: s.rows.map((r) => ({ ...r, result: r.result as MatchResultEnum })),
        })),
      };
    });
  }
}
