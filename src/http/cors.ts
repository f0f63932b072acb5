import type http from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';

/** Request headers a frontend on another origin may send (Apollo's CSRF headers, API keys). */
const ALLOWED_HEADERS = ['content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'authorization'];

export type CorsOrigins = string[] | '*' | null;

/**
 * CORS for /graphql and /downloads from CORS_ORIGINS. Without it no CORS header is sent: a browser
 * then allows only the service's own pages (/ and the IDE). Credentials (cookies) are not allowed:
 * the API needs none, and an API key travels in the Authorization header.
 */
export function corsHandler(origins: CorsOrigins): RequestHandler {
  if (origins === null) return (_req, _res, next) => next();
  return cors({
    origin: origins === '*' ? '*' : origins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    // The download's file name (Korean, RFC 5987) is in Content-Disposition.
    exposedHeaders: ['Content-Disposition'],
    maxAge: 600,
  });
}

/**
 * Whether a WebSocket upgrade may proceed. Browsers send Origin on every WebSocket and apply no
 * CORS to it, so the server must check it itself (cross-site WebSocket hijacking). Allowed:
 * - no Origin: not a browser (Node, curl, Playground's desktop app), which could send any Origin anyway;
 * - the same origin: Origin's host[:port] is the Host the client connected to (X-Forwarded-Host
 *   behind a proxy) or PUBLIC_URL's. The scheme is not compared, so a page served over https by a
 *   TLS-terminating proxy still reaches its own ws endpoint;
 * - an origin listed in CORS_ORIGINS, or any with `*`.
 */
export function webSocketOriginAllowed(req: http.IncomingMessage, origins: CorsOrigins, publicUrl: string | undefined): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (origins === '*') return true;
  let originHost: string;
  try {
    const url = new URL(origin);
    originHost = url.host.toLowerCase();
    if (origins?.includes(url.origin)) return true;
  } catch {
    return false; // "null" (sandboxed frames, file://) or garbage
  }
  const ownHosts = [req.headers['x-forwarded-host'], req.headers.host]
    .flatMap((h) => (h ? String(h).split(',') : []))
    .map((h) => h.trim().toLowerCase());
  if (publicUrl) ownHosts.push(new URL(publicUrl).host.toLowerCase());
  return ownHosts.includes(originHost);
}
