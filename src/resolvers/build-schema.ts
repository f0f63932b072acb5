import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { BoundaryResolver } from './BoundaryResolver';
import { ConversionResolver } from './ConversionResolver';
import { GeocodeResolver } from './GeocodeResolver';
import { PreviewResolver } from './PreviewResolver';

export const resolvers = [ConversionResolver, PreviewResolver, GeocodeResolver, BoundaryResolver] as const;

export function buildAppSchema(emitSchemaFile?: string): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    // Arguments are checked by the services (zod), not by class-validator.
    validate: false,
    // type-graphql insists on a PubSub whenever a schema has subscriptions, even when every
    // subscription supplies its own stream (`subscribe:`), as conversionProgress does. Topic-based
    // subscriptions are not used, so this one refuses loudly if anything ever tries.
    pubSub: {
      publish() {
        throw new Error('Topic pub/sub is not used: subscriptions stream from ConversionService.watch');
      },
      subscribe() {
        throw new Error('Topic pub/sub is not used: subscriptions stream from ConversionService.watch');
      },
    },
    emitSchemaFile: emitSchemaFile ?? false,
  });
}
