import type http from 'node:http';
import type { KeyRing } from '../auth/api-keys';
import { authenticate, authorizationFromConnectionParams } from '../auth/authenticate';
import type { Context, Services } from '../schema/context';

/** A request or WebSocket connection without a valid API key (while keys are configured). */
export class UnauthenticatedError extends Error {
  readonly code = 'UNAUTHENTICATED';
}

/** What a GraphQL context is made from: an HTTP request's headers, or a WebSocket's upgrade request and connection_init payload. */
export interface ContextSource {
  headers: http.IncomingHttpHeaders;
  /** The payload of a WebSocket's connection_init (either protocol); absent for HTTP requests. */
  connectionParams?: Readonly<Record<string, unknown>>;
}

export type ContextFactory = (source: ContextSource) => Promise<Context>;

/**
 * The one place a GraphQL context is built, for POST /graphql and both WebSocket protocols alike,
 * so whatever a request must prove (e.g. an API key in a header or in connectionParams) is checked
 * the same way everywhere. A factory that throws refuses the request or the WebSocket connection.
 */
export function contextFactory(services: Services, publicUrl: string | undefined, trustProxy: boolean, keys: KeyRing): ContextFactory {
  return async ({ headers, connectionParams }) => {
    // A WebSocket carries its key in connection_init's payload, an HTTP request in its header.
    const auth = authenticate(keys, connectionParams ? authorizationFromConnectionParams(connectionParams) : headers.authorization);
    if (!auth.ok) throw new UnauthenticatedError(auth.message);
    return { services, baseUrl: publicUrl ?? baseUrlFromHeaders(headers, trustProxy), viewer: auth.viewer };
  };
}

/** The request's own Host; X-Forwarded-Proto/Host only with TRUST_PROXY (links behind a reverse proxy). */
export function baseUrlFromHeaders(headers: http.IncomingHttpHeaders, trustProxy: boolean): string {
  const forwarded = (name: string) => (trustProxy ? headers[name] : undefined);
  const proto = String(forwarded('x-forwarded-proto') ?? 'http').split(',')[0].trim();
  const host = String(forwarded('x-forwarded-host') ?? headers.host ?? 'localhost').split(',')[0].trim();
  return `${proto}://${host}`;
}
