import crypto from 'node:crypto';
import { getDistDirectory, renderAltair } from 'altair-static';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';

/**
 * Example operations the IDE opens with: a file upload, its progress, its state, one point. Altair
 * puts a run button above each operation and a file picker beside each Upload variable.
 */
const EXAMPLE_OPERATIONS = `# coord2region GraphQL IDE
# 1. 파일 변환: $file: Upload! 옆의 ··· 으로 CSV/XLSX 를 고르고 ► CreateConversion 을 누릅니다.
# 2. 진행률: 받은 id 를 아래 변수 설정(Variables)의 "id" 에 넣고 ► ConversionProgress 를 누릅니다 (WebSocket).
# 3. 끝나면 ► Conversion 의 downloadUrl 로 결과 파일을 받습니다.

mutation CreateConversion($file: Upload!, $options: ConversionOptions) {
  createConversion(file: $file, options: $options) {
    id
    status
    fileName
  }
}

subscription ConversionProgress($id: ID!) {
  conversionProgress(id: $id) {
    id
    status
    phase
    progress
    processedRows
    totalRows
    error
    downloadUrl
  }
}

query Conversion($id: ID!) {
  conversion(id: $id) {
    id
    fileName
    status
    phase
    progress
    totalRows
    matchedRows
    unmatchedRows
    invalidRows
    detectedSrid
    detectedColumns { sheet xColumn yColumn srid foundBy }
    notes
    error
    downloadUrl
  }
}

query ReverseGeocode {
  reverseGeocode(x: 126.9707, y: 37.5735) {
    result
    address
    code
    sido
    sigungu
    eupmyeondong
    ri
  }
}
`;

const EXAMPLE_VARIABLES = `{
  "id": "",
  "options": null
}`;

export interface GraphqlIdeOptions {
  /** Where the IDE is mounted, e.g. /graphql; also the endpoint it talks to. */
  path: string;
  /** The service's base URL as the browser reaches it (http://host:port). */
  baseUrlOf: (req: Request) => string;
}

/**
 * The GraphQL IDE (Altair, from the altair-static package) at GET `path` for browsers, with its
 * assets under `path`/: everything it loads comes from this service, and the page's Content
 * Security Policy keeps it from reaching any other host (no CDN, no telemetry, no plugin
 * downloads). Uploads go as multipart with Apollo's preflight header preset; subscriptions over
 * graphql-ws. GET requests for JSON (GraphQL over GET) pass on.
 */
export function graphqlIde(options: GraphqlIdeOptions): Router {
  const router = express.Router();
  router.get('/', (req: Request, res: Response, next: NextFunction) => {
    // A GraphQL GET (?query=…) or a client asking for JSON is not a person with a browser.
    if (req.query.query !== undefined || req.accepts(['application/json', 'text/html']) !== 'text/html') return next();
    const base = options.baseUrlOf(req);
    const nonce = crypto.randomBytes(16).toString('base64');
    const wsBase = base.replace(/^http/, 'ws');
    const html = renderAltair({
      baseURL: `${options.path}/`,
      endpointURL: `${base}${options.path}`,
      subscriptionsEndpoint: `${wsBase}${options.path}`,
      initialSubscriptionRequestHandlerId: 'graphql-ws',
      initialName: 'coord2region',
      initialQuery: EXAMPLE_OPERATIONS,
      initialVariables: EXAMPLE_VARIABLES,
      initialHeaders: { 'apollo-require-preflight': 'true' },
      disableAccount: true,
      initialSettings: {
        language: 'ko-KR',
        'alert.disableUpdateNotification': true,
        'banners.disable': true,
        disablePushNotification: true,
        'plugin.list': [],
      },
      cspNonce: nonce,
    });
    const self = new URL(base).host;
    res.setHeader(
      'Content-Security-Policy',
      [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}'`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        `connect-src 'self' ws://${self} wss://${self}`,
        "worker-src 'self' blob:",
        "frame-src 'self'",
      ].join('; '),
    );
    res.type('html').send(html);
  });
  router.use(express.static(getDistDirectory(), { index: false, maxAge: '1d' }));
  return router;
}
