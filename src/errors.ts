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

/**
 * Object storage (the local folder or S3) could not be reached or refused the request. The
 * message names the storage (`s3://bucket/prefix`) and the cause, never a local path.
 */
export class StorageUnavailableError extends Error {
  readonly code = 'STORAGE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

/** A stored upload or output that should be there is not (removed, or a bucket emptied). */
export class StorageObjectMissingError extends Error {
  readonly code = 'STORAGE_OBJECT_MISSING';
  constructor(message: string) {
    super(message);
    this.name = 'StorageObjectMissingError';
  }
}
