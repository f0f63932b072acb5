import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../schema/context';
import { toBoundarySetType } from '../schema/mappers';
import { BoundarySetType } from '../schema/types';

@Resolver(() => BoundarySetType)
export class BoundaryResolver {
  @Query(() => [BoundarySetType], { description: 'The loaded boundary sets: levels, feature counts, source, load time.' })
  async boundarySets(
    @Arg('includeOldVersions', () => Boolean, { defaultValue: false, description: 'Also list versions replaced by a re-import.' })
    includeOldVersions: boolean,
    @Ctx() ctx: Context,
  ): Promise<BoundarySetType[]> {
    const service = ctx.services.boundarySets;
    const current = await service.listCurrent();
    const sets = includeOldVersions ? await service.listAll() : current;
    return sets.map((s) => toBoundarySetType(s, service.defaultName, current[0]?.id, current));
  }
}
