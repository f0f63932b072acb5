import { GraphQLError } from 'graphql';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { Conversion } from '../entities/Conversion';
import type { Context } from '../schema/context';
import { toConversionType } from '../schema/mappers';
import { ConversionOptionsInput, ConversionStatusEnum, ConversionType, type MatchResultEnum, ProblemRowType, RegionCountType } from '../schema/types';
import { withUserErrors } from './errors';
import { receiveUpload } from './upload';

/** Conversions: create from an upload, read, list, cancel, follow. All work is in ConversionService. */
@Resolver(() => ConversionType)
export class ConversionResolver {
  @Mutation(() => ConversionType, { description: 'Upload a CSV/TSV/XLSX; returns the QUEUED conversion at once.' })
  async createConversion(
    @Arg('file', () => GraphQLUpload) file: Promise<FileUpload>,
    @Arg('options', () => ConversionOptionsInput, { nullable: true }) options: ConversionOptionsInput | null,
    @Ctx() ctx: Context,
  ): Promise<ConversionType> {
    return withUserErrors(async () => {
      const upload = await receiveUpload(file, ctx.services.maxUploadBytes);
      const created = await ctx.services.conversions.create(upload, { ...(options ?? {}) }, ctx.viewer);
      return view(created, ctx);
    });
  }

  @Mutation(() => ConversionType, { description: 'Stop a queued or running conversion.' })
  cancelConversion(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ConversionType> {
    return withUserErrors(async () => view(await ctx.services.conversions.cancel(id, ctx.viewer), ctx));
  }

  @Mutation(() => ConversionType, {
    description: 'Delete the upload, output and stored results now (stopping it if still queued or running); it stays listed as EXPIRED.',
  })
  deleteConversion(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ConversionType> {
    return withUserErrors(async () => view(await ctx.services.conversions.delete(id, ctx.viewer), ctx));
  }

  @Query(() => ConversionType, {
    nullable: true,
    description: "A NOT_FOUND error (and null) when unknown or another key's: the same answer for both, as cancelConversion, deleteConversion, conversionProgress and downloads give.",
  })
  conversion(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ConversionType | null> {
    return withUserErrors(async () => view(await ctx.services.conversions.findOrFail(id, ctx.viewer), ctx));
  }

  @Query(() => [ConversionType], { description: "Newest first; with API keys only the key's own (an admin key sees all)." })
  async conversions(
    @Arg('limit', () => Int, { defaultValue: 20, description: 'At most 100.' }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
    @Arg('status', () => ConversionStatusEnum, { nullable: true }) status: ConversionStatusEnum | null,
    @Ctx() ctx: Context,
  ): Promise<ConversionType[]> {
    return withUserErrors(async () => {
      const rows = await ctx.services.conversions.list({ limit, offset, status }, ctx.viewer);
      return Promise.all(rows.map((c) => view(c, ctx)));
    });
  }

  @FieldResolver(() => [RegionCountType], { description: 'Matched rows (OK + NEAREST) per region of a boundary level (1 시도, 2 시군구, …), largest first; level 1 adds up to matchedRows. Covers the rows done so far while running.' })
  regionCounts(@Root() conversion: ConversionType, @Arg('level', () => Int) level: number, @Ctx() ctx: Context): Promise<RegionCountType[]> {
    return withUserErrors(() => ctx.services.summaries.regionCounts(conversion.id, level));
  }

  @FieldResolver(() => [ProblemRowType], { description: 'The NEAREST, NO_MATCH and INVALID rows in file order (at most 10,000 per request).' })
  problemRows(
    @Root() conversion: ConversionType,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
    @Ctx() ctx: Context,
  ): Promise<ProblemRowType[]> {
    return withUserErrors(async () =>
      (await ctx.services.summaries.problemRows(conversion.id, first, offset)).map((r) => ({ ...r, result: r.result as MatchResultEnum })),
    );
  }

  @Subscription(() => ConversionType, {
    description: 'The current state first, then every change; completes after COMPLETED, FAILED, CANCELLED or EXPIRED.',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { id: string }, Context>) => {
      const existing = await context.services.conversions.find(args.id, context.viewer);
      if (!existing) throw new GraphQLError(`No conversion with id ${args.id}.`, { extensions: { code: 'NOT_FOUND' } });
      return context.services.conversions.watch(args.id);
    },
  })
  conversionProgress(@Arg('id', () => ID) _id: string, @Root() conversion: Conversion, @Ctx() ctx: Context): Promise<ConversionType> {
    return view(conversion, ctx);
  }
}

async function view(c: Conversion, ctx: Context): Promise<ConversionType> {
  const downloadUrl = ctx.services.downloadLinks.url(ctx.baseUrl, c.id);
  return toConversionType(c, downloadUrl, await ctx.services.boundarySets.label(c.boundarySetId));
}
