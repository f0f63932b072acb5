/**
 * An error caused by what the user sent (bad option, unknown id, unsupported file), carrying a
 * machine-readable code. Resolvers turn it into a GraphQL error with `extensions.code`; anything
 * else is an internal error and is logged.
 */
export class UserInputError extends Error {
  constructor(
    message: string,
    readonly code: string = 'BAD_USER_INPUT',
  ) {
    super(message);
    this.name = 'UserInputError';
  }
}

export class NotFoundError extends UserInputError {
  constructor(message: string) {
    super(message, 'NOT_FOUND');
    this.name = 'NotFoundError';
  }
}
