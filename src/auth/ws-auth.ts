import type { KeyRing } from './api-keys';
import { authenticate, authorizationFromConnectionParams } from './authenticate';
import type { Viewer } from './viewer';

/** graphql-ws's close code for a connection refused for want of credentials. */
export const WS_UNAUTHORIZED = 4401;

export interface ClosableSocket {
  close(code: number, reason: string): void;
}

/**
 * WebSocket authentication, for any protocol that carries `connectionParams` (graphql-ws and the
 * legacy subscriptions-transport-ws alike): `authorization` holds `Bearer <key>`. Returns the
 * viewer, or null after closing the socket with 4401 when a key is missing or wrong.
 */
export function authenticateConnection(keys: KeyRing, connectionParams: Readonly<Record<string, unknown>> | undefined, socket: ClosableSocket): Viewer | null {
  const auth = authenticate(keys, authorizationFromConnectionParams(connectionParams));
  if (auth.ok) return auth.viewer;
  // A close reason is at most 123 bytes, so the English half only.
  socket.close(WS_UNAUTHORIZED, auth.message.includes('not valid') ? 'Unauthorized: the API key is not valid' : 'Unauthorized: send authorization: Bearer <key> in connectionParams');
  return null;
}

/** The viewer of an established connection, for its operations' context (authenticated at connect). */
export function connectionViewer(keys: KeyRing, connectionParams: Readonly<Record<string, unknown>> | undefined): Viewer | null {
  const auth = authenticate(keys, authorizationFromConnectionParams(connectionParams));
  return auth.ok ? auth.viewer : null;
}
