import path from 'node:path';
import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DataSource } from 'typeorm';
import type { KeyRing } from '../auth/api-keys';
import { requireApiKey, viewerOf } from '../auth/http-auth';
import { authenticateConnection, connectionViewer } from '../auth/ws-auth';
import type { Logger } from '../logger';
import type { Context, Services } from '../schema/context';
import { downloadHandler } from './downloads';
import type { InteriorGridCache } from '../geocode/interior-grid-cache';
import type { SqlFunctionsStatus } from '../db/function-drift';
import { healthHandler } from './health';
import { PROJECT_ROOT } from '../project-root';

export interface HttpDeps {
  httpServer: http.Server;
  schema: GraphQLSchema;
  services: Services;
  dataSource: DataSource;
  grids: InteriorGridCache;
  /** The drift check's answer at start. */
  sqlFunctions: SqlFunctionsStatus;
  embedded: boolean;
  publicUrl?: string;
  maxUploadBytes: number;
  maxJsonBytes: number;
  keys: KeyRing;
  log: Logger;
}

const PUBLIC_DIR = path.join(PROJECT_ROOT, 'src/http/public');

/**
 * The HTTP surface: POST /graphql (queries, mutations, multipart uploads), ws://…/graphql
 * (graphql-ws subscriptions), GET /downloads/:id, GET /healthz and the web page at /.
 */
export async function createHttpApp(deps: HttpDeps): Promise<{ app: express.Express; stop: () => Promise<void> }> {
  const { httpServer, schema, services, log } = deps;
  const baseUrlOf = (headers: http.IncomingHttpHeaders) => deps.publicUrl ?? baseUrlFromHeaders(headers);

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  // ws re-emits the HTTP server's errors (e.g. port in use); startServer reports those itself.
  wsServer.on('error', () => {});
  const wsCleanup = useServer<Record<string, unknown>, { request: http.IncomingMessage; socket: WebSocket }>(
    {
      schema,
      onConnect: (ctx) => authenticateConnection(deps.keys, ctx.connectionParams, ctx.extra.socket) !== null,
      context: (ctx): Context => ({
        services,
        baseUrl: baseUrlOf(ctx.extra.request.headers),
        viewer: connectionViewer(deps.keys, ctx.connectionParams)!,
      }),
      onError: (_ctx, _id, _payload, errors) => {
        for (const e of errors) if (!e.extensions?.code) log.error('Subscription error', e);
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    // Multipart uploads are only accepted with a non-simple header (apollo-require-preflight),
    // which keeps browsers from sending them cross-site.
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => {
      if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
      log.error('GraphQL internal error', unwrapResolverError(error));
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', healthHandler(deps.dataSource, services.boundarySets, deps.grids, deps.sqlFunctions, deps.embedded));
  app.get('/downloads/:id', downloadHandler(services.conversions, services.downloadLinks, deps.keys));
  app.use(
    '/graphql',
    requireApiKey(deps.keys),
    guardMultipart,
    graphqlUploadExpress({ maxFileSize: deps.maxUploadBytes, maxFiles: 1 }),
    express.json({ limit: deps.maxJsonBytes }),
    refuseBatches,
    expressMiddleware(apollo, { context: async ({ req, res }) => ({ services, baseUrl: baseUrlOf(req.headers), viewer: viewerOf(res) }) }),
  );
  app.use(express.static(PUBLIC_DIR));
  app.use((err: Error & { status?: number }, req: Request, res: Response, _next: NextFunction) => {
    // A malformed multipart body is the client's mistake even when the parser reports it as internal.
    const status = err.status ?? (req.is('multipart/form-data') ? 400 : 500);
    if (status >= 500) log.error('HTTP error', err);
    const tooLarge = status === 413 ? (req.is('multipart/form-data') ? 'FILE_TOO_LARGE' : 'REQUEST_TOO_LARGE') : null;
    const code = tooLarge ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR');
    const message =
      tooLarge === 'REQUEST_TOO_LARGE'
        ? `요청 본문이 ${Math.round(deps.maxJsonBytes / 1024)} KB 한도보다 큽니다. · The request body is larger than the ${Math.round(deps.maxJsonBytes / 1024)} KB limit (MAX_JSON_KB).`
        : status < 500
          ? err.message
          : 'Internal server error';
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  });

  return { app, stop: () => apollo.stop() };
}

/**
 * Multipart uploads, before graphql-upload reads them. Apollo's CSRF prevention would reject one
 * without a non-simple header, but only after graphql-upload had already read its files; this
 * refuses it first, with the fix in the message.
 */
function guardMultipart(req: Request, res: Response, next: NextFunction): void {
  const multipart = req.is('multipart/form-data');
  // An upload refused half-way (too large, bad options) is answered before its body is read to
  // the end; on a kept-alive connection the unread rest would then stall the client's next
  // request. Closing the connection after every upload response avoids that.
  if (multipart) res.setHeader('Connection', 'close');
  if (multipart && !req.headers['apollo-require-preflight'] && !req.headers['x-apollo-operation-name']) {
    res.status(400).json({
      errors: [
        {
          message: "Multipart uploads need the header 'apollo-require-preflight: true' (protection against cross-site requests).",
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    });
    return;
  }
  next();
}

/**
 * Batched operations (a JSON array of them) would multiply every per-request limit, so they are
 * refused with a code, before Apollo (which has them off too, but answers without one).
 */
function refuseBatches(req: Request, res: Response, next: NextFunction): void {
  if (!Array.isArray(req.body)) {
    next();
    return;
  }
  res.status(400).json({
    errors: [
      {
        message: '여러 작업을 한 요청에 묶어 보낼 수 없습니다. 하나씩 보내세요. · Batched GraphQL requests are not accepted; send one operation per request.',
        extensions: { code: 'BATCH_NOT_SUPPORTED' },
      },
    ],
  });
}

/** Honours X-Forwarded-Proto/Host so links are right behind a reverse proxy. */
function baseUrlFromHeaders(headers: http.IncomingHttpHeaders): string {
  const proto = String(headers['x-forwarded-proto'] ?? 'http').split(',')[0].trim();
  const host = String(headers['x-forwarded-host'] ?? headers.host ?? 'localhost').split(',')[0].trim();
  return `${proto}://${host}`;
}
