import { DateResolver } from 'graphql-scalars';
import { Arg, Ctx, Float, Int, Query, Resolver } from 'type-graphql';
import type { Context } from '../schema/context';
import { Address, type MatchResultEnum } from '../schema/types';
import { withUserErrors } from './errors';

@Resolver(() => Address)
export class GeocodeResolver {
  @Query(() => Address, { nullable: true, description: 'One point to its address. x/y are lon/lat unless srid says otherwise.' })
  reverseGeocode(
    @Arg('x', () => Float) x: number,
    @Arg('y', () => Float) y: number,
    @Arg('srid', () => Int, { nullable: true }) srid: number | null,
    @Arg('boundarySet', () => String, { nullable: true }) boundarySet: string | null,
    @Arg('maxDistanceMeters', () => Float, { nullable: true }) maxDistanceMeters: number | null,
    @Arg('asOf', () => DateResolver, { nullable: true, description: 'A dated set answers with its version valid on this day (default: the newest).' }) asOf: Date | null,
    @Ctx() ctx: Context,
  ): Promise<Address> {
    return withUserErrors(async () => {
      const found = await ctx.services.reverseGeocode.lookup({ x, y, srid, boundarySet, maxDistanceMeters, asOf: asOf ? asOf.toISOString().slice(0, 10) : null });
      return { ...found, result: found.result as MatchResultEnum };
    });
  }
}
