import type { NextFunction, Request, Response } from 'express';
import type { KeyRing } from './api-keys';
import { authenticate } from './authenticate';

/**
 * Express middleware: with keys configured a request without a valid `Authorization: Bearer <key>`
 * gets 401 (code UNAUTHENTICATED) before anything reads its body; the GraphQL context's factory
 * then finds the viewer from the same header. The GraphQL IDE page itself (a browser's GET for HTML) stays
 * open: it sends the key with its operations.
 */
export function requireApiKey(keys: KeyRing) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'GET' && req.accepts(['text/html', 'application/json']) === 'text/html' && req.query.query === undefined) {
      next();
      return;
    }
    const auth = authenticate(keys, req.headers.authorization);
    if (!auth.ok) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      res.status(401).json({ errors: [{ message: auth.message, extensions: { code: 'UNAUTHENTICATED' } }] });
      return;
    }
    next();
  };
}
