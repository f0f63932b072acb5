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
import { WebSocketServer } from 'ws';
import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import type { Context, Services } from '../schema/context';
import { downloadHandler } from './downloads';
import { tileHandler } from './tiles';
import type { TileService } from '../tiles/tile-service';
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
  tiles: TileService;
  /** The drift check's answer at start. */
  sqlFunctions: SqlFunctionsStatus;
  embedded: boolean;
  publicUrl?: string;
  maxUploadBytes: number;
  log: Logger;
}

const PUBLIC_DIR = path.join(PROJECT_ROOT, 'src/http/public');
const MAPLIBRE_DIR = path.join(PROJECT_ROOT, 'node_modules/maplibre-gl/dist');

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
  const wsCleanup = useServer<Record<string, unknown>, { request: http.IncomingMessage }>(
    {
      schema,
      context: (ctx): Context => ({ services, baseUrl: baseUrlOf(ctx.extra.request.headers) }),
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
  app.get('/downloads/:id', downloadHandler(services.conversions));
  app.get('/tiles/:set/:z/:x/:y.pbf', tileHandler(deps.tiles));
  app.use(
    '/graphql',
    guardMultipart,
    graphqlUploadExpress({ maxFileSize: deps.maxUploadBytes, maxFiles: 1 }),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: async ({ req }) => ({ services, baseUrl: baseUrlOf(req.headers) }) }),
  );
  // The conversion page: the same file for every id; its script asks the API for the rest.
  app.get('/conversions/:id', (_req, res) => res.sendFile(path.join(PUBLIC_DIR, 'conversion.html')));
  // MapLibre GL JS from the installed package (its module loads its worker from the same folder):
  // the page loads nothing from any other host.
  app.use('/vendor/maplibre-gl', express.static(MAPLIBRE_DIR, { maxAge: '1d' }));
  app.use(express.static(PUBLIC_DIR));
  app.use((err: Error & { status?: number }, req: Request, res: Response, _next: NextFunction) => {
    // A malformed multipart body is the client's mistake even when the parser reports it as internal.
    const status = err.status ?? (req.is('multipart/form-data') ? 400 : 500);
    if (status >= 500) log.error('HTTP error', err);
    const code = status === 413 ? 'FILE_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    res.status(status).json({ errors: [{ message: status < 500 ? err.message : 'Internal server error', extensions: { code } }] });
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

/** Honours X-Forwarded-Proto/Host so links are right behind a reverse proxy. */
function baseUrlFromHeaders(headers: http.IncomingHttpHeaders): string {
  const proto = String(headers['x-forwarded-proto'] ?? 'http').split(',')[0].trim();
  const host = String(headers['x-forwarded-host'] ?? headers.host ?? 'localhost').split(',')[0].trim();
  return `${proto}://${host}`;
}
