import { GraphQLError } from 'graphql';
import { StorageObjectMissingError, StorageUnavailableError, UserInputError } from '../errors';
import { uploadParserError } from './upload';

/**
 * Turns a service's UserInputError into a GraphQL error with `extensions.code` (BAD_USER_INPUT,
 * NOT_FOUND, FILE_TOO_LARGE, …). Anything else passes on and is masked by the server's error
 * formatter, so internals never leak to clients.
 */
export function toGraphQLError(err: unknown): unknown {
  // An upload that broke off while its stream was being stored.
  err = uploadParserError(err) ?? err;
  if (err instanceof UserInputError || err instanceof StorageUnavailableError || err instanceof StorageObjectMissingError) {
    return new GraphQLError(err.message, { extensions: { code: err.code } });
  }
  return err;
}

export async function withUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toGraphQLError(err);
  }
}
