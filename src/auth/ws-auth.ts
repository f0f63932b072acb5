/** graphql-ws's close code for a connection refused for want of credentials. */
export const WS_UNAUTHORIZED = 4401;

/**
 * The close reason for a WebSocket refused for its key, from the authentication message. A close
 * reason is at most 123 bytes, so the English half only.
 */
export function unauthorizedCloseReason(message: string): string {
  return message.includes('not valid') ? 'Unauthorized: the API key is not valid' : 'Unauthorized: send authorization: Bearer <key> in connectionParams';
}
