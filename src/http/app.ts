import path from 'node:path';
import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { FileStore } from '../conversion/file-store';
import type { KeyRing } from '../auth/api-keys';
import { requireApiKey } from '../auth/http-auth';
import type { Logger } from '../logger';
import type { Context, Services } from '../schema/context';
import { corsHandler, type CorsOrigins } from './cors';
import { downloadHandler } from './downloads';
import { graphqlIde } from './graphql-ide';
import { baseUrlFromHeaders, contextFactory } from './request-context';
import { answerAfterBody, malformedUploadMessage, requirePreflightHeader } from './upload-requests';
import { attachWebSockets } from './websockets';
import { tileHandler } from './tiles';
import type { TileService } from '../tiles/tile-service';
import type { InteriorGridCache } from '../geocode/interior-grid-cache';
import type { SqlFunctionsStatus } from '../db/function-drift';
import { healthHandler, readyHandler } from './health';
import { PROJECT_ROOT } from '../project-root';
import { uploadParserError } from '../resolvers/upload';
import { isTokenLimitError, QUERY_LIMITS, QUERY_TOO_COMPLEX, queryLimitRules } from '../schema/query-limits';

/** Largest WebSocket message: a GraphQL operation is a few KB; ws's default is 100 MiB. */
export const WS_MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface HttpDeps {
  httpServer: http.Server;
  schema: GraphQLSchema;
  services: Services;
  dataSource: DataSource;
  grids: InteriorGridCache;
  store: FileStore;
  metrics: Registry;
  downloadRedirect: 'off' | 'presigned';
  tiles: TileService;
  /** The drift check's answer at start. */
  sqlFunctions: SqlFunctionsStatus;
  embedded: boolean;
  publicUrl?: string;
  trustProxy: boolean;
  maxUploadBytes: number;
  /** Serve the GraphQL IDE at GET /graphql (GRAPHQL_IDE). */
  graphqlIde: boolean;
  corsOrigins: CorsOrigins;
  /** MAX_JSON_KB, in bytes. */
  maxJsonBytes: number;
  keys: KeyRing;
  log: Logger;
}

const PUBLIC_DIR = path.join(PROJECT_ROOT, 'src/http/public');
const GRAPHQL_PATH = '/graphql';
/** What a user sees of an unexpected error (the error itself is logged). */
const INTERNAL_MESSAGE = '서버 내부 오류가 났습니다. 다시 시도해 보고, 계속되면 관리자에게 알려 주세요. · Internal server error.';
const MAPLIBRE_DIR = path.join(PROJECT_ROOT, 'node_modules/maplibre-gl/dist');

/**
 * The HTTP surface: POST /graphql (queries, mutations, multipart uploads), the GraphQL IDE at
 * GET /graphql, ws://…/graphql (graphql-ws and subscriptions-transport-ws), GET /downloads/:id,
 * GET /healthz (liveness), GET /readyz (readiness), GET /metrics (Prometheus) and the web page at /.
 */
export async function createHttpApp(deps: HttpDeps): Promise<{ app: express.Express; stop: () => Promise<void> }> {
  const { httpServer, schema, services, log } = deps;
  const createContext = contextFactory(services, deps.publicUrl, deps.trustProxy, deps.keys);
  const webSockets = attachWebSockets({
    httpServer,
    path: GRAPHQL_PATH,
    schema,
    createContext,
    corsOrigins: deps.corsOrigins,
    validationRules: [...specifiedRules, ...queryLimitRules],
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    publicUrl: deps.publicUrl,
    log,
  });

  const apollo = new ApolloServer<Context>({
    schema,
    // Multipart uploads are only accepted with a non-simple header (apollo-require-preflight),
    // which keeps browsers from sending them cross-site.
    csrfPrevention: true,
    introspection: true,
    validationRules: queryLimitRules,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => {
      // Apollo files every validation error under GRAPHQL_VALIDATION_FAILED; ours keep their own code.
      const original = (error as { originalError?: { extensions?: { code?: unknown } } } | null)?.originalError;
      if (original?.extensions?.code === QUERY_TOO_COMPLEX || isTokenLimitError(formatted.message)) {
        return { message: formatted.message, extensions: { code: QUERY_TOO_COMPLEX } };
      }
      if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
      // An upload whose multipart body broke off fails the file argument before any resolver runs.
      const upload = uploadParserError(unwrapResolverError(error));
      if (upload) return { message: upload.message, extensions: { code: upload.code } };
      log.error('GraphQL internal error', unwrapResolverError(error));
      return { message: INTERNAL_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's own landing page loads Apollo Sandbox from its CDN; the IDE below is served locally.
      ApolloServerPluginLandingPageDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await webSockets.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  const cors = corsHandler(deps.corsOrigins);
  const health = {
    dataSource: deps.dataSource,
    sets: services.boundarySets,
    grids: deps.grids,
    storage: deps.store.storage,
    sqlFunctions: deps.sqlFunctions,
    embedded: deps.embedded,
  };
  app.get('/healthz', healthHandler(health));
  app.get('/readyz', readyHandler(health));
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  app.options('/downloads/:id', cors);
  app.get('/downloads/:id', cors, downloadHandler(services.conversions, deps.store, deps.downloadRedirect, services.downloadLinks, deps.keys));
  // Before the IDE's router, which would answer a preflight (OPTIONS) itself.
  app.use(GRAPHQL_PATH, cors);
  if (deps.graphqlIde) app.use(GRAPHQL_PATH, graphqlIde({ path: GRAPHQL_PATH, baseUrlOf: (req) => deps.publicUrl ?? baseUrlFromHeaders(req.headers, deps.trustProxy) }));
  app.get('/tiles/:set/:z/:x/:y.pbf', tileHandler(deps.tiles));
  app.use(
    GRAPHQL_PATH,
    answerAfterBody(deps.maxUploadBytes),
    requirePreflightHeader,
    requireApiKey(deps.keys),
    graphqlUploadExpress({ maxFileSize: deps.maxUploadBytes, maxFiles: 1 }),
    express.json({ limit: deps.maxJsonBytes }),
    refuseBatches,
    expressMiddleware(apollo, { context: ({ req }) => createContext({ headers: req.headers }) }),
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
    const tooLarge = status === 413 ? (req.is('multipart/form-data') ? 'FILE_TOO_LARGE' : 'REQUEST_TOO_LARGE') : null;
    const code = tooLarge ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR');
    const message =
      tooLarge === 'REQUEST_TOO_LARGE'
        ? `요청 본문이 ${Math.round(deps.maxJsonBytes / 1024)} KB 한도보다 큽니다. · The request body is larger than the ${Math.round(deps.maxJsonBytes / 1024)} KB limit (MAX_JSON_KB).`
        : status < 500
          ? req.is('multipart/form-data')
            ? malformedUploadMessage(err)
            : err.message
          : INTERNAL_MESSAGE;
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  });

  return { app, stop: () => apollo.stop() };
}

export { baseUrlFromHeaders } from './request-context';

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

