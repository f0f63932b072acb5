import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { execute, subscribe, validate, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { SubscriptionServer } from 'subscriptions-transport-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../logger';
import type { Context } from '../schema/context';
import { webSocketOriginAllowed, type CorsOrigins } from './cors';
import { UnauthenticatedError, type ContextFactory } from './request-context';
import { unauthorizedCloseReason, WS_UNAUTHORIZED } from '../auth/ws-auth';

/** The graphql-ws protocol's subprotocol (graphql-ws clients, Altair, Apollo Client 3.5+). */
const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws';
/** subscriptions-transport-ws's subprotocol (GraphQL Playground, older Apollo clients). Same name as the newer library, different protocol. */
const LEGACY_GRAPHQL_WS = 'graphql-ws';

export interface WebSocketDeps {
  httpServer: http.Server;
  path: string;
  schema: GraphQLSchema;
  createContext: ContextFactory;
  corsOrigins: CorsOrigins;
  /** Validation rules for operations over either protocol (the same as over HTTP). */
  validationRules: readonly ValidationRule[];
  /** Largest WebSocket message accepted. */
  maxPayload: number;
  publicUrl?: string;
  log: Logger;
}

/**
 * GraphQL over WebSocket at `path`, in both protocols clients speak, chosen by the subprotocol the
 * client offers: graphql-ws (`graphql-transport-ws`) or the legacy subscriptions-transport-ws
 * (`graphql-ws`). Both run the same schema with a context from the same factory, which gets the
 * upgrade request's headers and the connection_init payload. The Origin is checked before either
 * protocol sees the connection.
 */
export function attachWebSockets(deps: WebSocketDeps): { dispose: () => Promise<void> } {
  const { httpServer, schema, createContext, log } = deps;
  const logErrors = (errors: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined) => {
    for (const e of errors ?? []) if (!e.extensions?.code) log.error('Subscription error', e);
  };

  const modern = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayload });
  const modernServer = useServer<Record<string, unknown>, { context: Context }>(
    {
      schema,
      validate: (s, document) => validate(s, document, deps.validationRules),
      onConnect: async (ctx) => {
        try {
          ctx.extra.context = await createContext({ headers: ctx.extra.request.headers, connectionParams: ctx.connectionParams ?? {} });
          return true;
        } catch (err) {
          log.debug('WebSocket connection refused', err);
          // No valid API key: 4401, so a client can tell it from other refusals.
          if (err instanceof UnauthenticatedError) ctx.extra.socket.close(WS_UNAUTHORIZED, unauthorizedCloseReason(err.message));
          return false; // closes with 4403 Forbidden
        }
      },
      context: (ctx) => ctx.extra.context!,
      onError: (_ctx, _id, _payload, errors) => logErrors(errors),
    },
    modern,
  );

  // subscriptions-transport-ws 0.11 calls execute/subscribe with an arguments object (graphql 16)
  // and runs on any server that emits ws's 'connection' events, so ws 8 serves it too.
  const legacy = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayload, handleProtocols: (offered) => (offered.has(LEGACY_GRAPHQL_WS) ? LEGACY_GRAPHQL_WS : false) });
  const legacyServer = SubscriptionServer.create(
    {
      schema,
      execute,
      subscribe,
      validationRules: deps.validationRules,
      keepAlive: 15_000,
      // A context that cannot be made (the factory threw) answers connection_error and closes.
      onConnect: (connectionParams: Record<string, unknown> | undefined, _socket: WebSocket, connection: { request: http.IncomingMessage }) =>
        createContext({ headers: connection.request.headers, connectionParams: connectionParams ?? {} }),
      onOperation: (_message: unknown, params: Record<string, unknown>) => ({
        ...params,
        formatResponse: (result: { errors?: { message: string; extensions?: Record<string, unknown> }[] }) => {
          logErrors(result.errors);
          return result;
        },
      }),
    },
    legacy,
  );

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== deps.path) return refuse(socket, 404, 'Not Found');
    if (!webSocketOriginAllowed(req, deps.corsOrigins, deps.publicUrl)) {
      log.debug(`WebSocket from origin ${req.headers.origin} refused (CORS_ORIGINS)`);
      return refuse(socket, 403, 'Forbidden');
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    // A client offering no known subprotocol goes to graphql-ws, which tells it so (close 4406).
    const target = !offered.includes(GRAPHQL_TRANSPORT_WS) && offered.includes(LEGACY_GRAPHQL_WS) ? legacy : modern;
    target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
  };
  httpServer.on('upgrade', onUpgrade);

  return {
    async dispose() {
      httpServer.off('upgrade', onUpgrade);
      await Promise.all([closeClients(modern), closeClients(legacy)]);
      legacyServer.close();
      await modernServer.dispose();
    },
  };
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Closes every connection with 1001 (going away), waits at most a second for the closing
 * handshakes, then drops the connections that did not answer: one would otherwise hold the HTTP
 * server open for ws's 30 s close timeout.
 */
async function closeClients(wss: WebSocketServer): Promise<void> {
  const closing = [...wss.clients].map(
    (ws) =>
      new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1001, 'Server shutting down');
      }),
  );
  await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 1000).unref())]);
  for (const ws of wss.clients) ws.terminate();
}
