import type http from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/**
 * How much more than the largest accepted upload is read and discarded to deliver a refusal: a
 * file somewhat over MAX_UPLOAD_MB (up to 4 times over, at most 64 MB more) still gets its
 * FILE_TOO_LARGE in every client. Discarding costs only the transfer; the bound keeps a client
 * from holding the connection with an endless body, which is answered once it is passed.
 */
const MAX_DISCARD_MARGIN_BYTES = 64 * 1024 * 1024;

/**
 * For multipart uploads: every response, a refusal included, goes out only once the request body
 * has been read (and the rest discarded), up to the largest upload accepted. A server that answers
 * and closes while the client is still sending makes the client's write fail (EPIPE, ECONNRESET):
 * Node's fetch then reports that instead of the answer. A body more than the margin over
 * the upload limit (see MAX_DISCARD_MARGIN_BYTES) is not read to its end: the answer goes out and the connection is closed.
 */
export function answerAfterBody(maxUploadBytes: number) {
  const bound = maxUploadBytes + Math.min(MAX_DISCARD_MARGIN_BYTES, 4 * maxUploadBytes);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.is('multipart/form-data')) return next();
    // Uploads are rare and large: their connection is closed after the answer, not kept for another request.
    res.setHeader('Connection', 'close');
    const end = res.end;
    res.end = function (this: Response, ...args: unknown[]) {
      res.end = end;
      if (req.complete || req.destroyed) return end.apply(this, args as Parameters<typeof end>);
      void discardBody(req, bound).then(() => {
        end.apply(this, args as Parameters<typeof end>);
      });
      return this;
    } as typeof res.end;
    next();
  };
}

/**
 * Reads what is left of the request and throws it away (nothing needs it once the answer is
 * known: the GraphQL operation has finished). False when it was more than `bound` bytes.
 */
function discardBody(req: http.IncomingMessage, bound: number): Promise<boolean> {
  return new Promise((resolve) => {
    let bytes = 0;
    const done = (read: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(read);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > bound) {
        req.pause();
        done(false);
      }
    };
    const onEnd = () => done(true);
    const onClose = () => done(req.complete);
    // The multipart parser may still be attached (a file nobody read): the rest is not for it.
    req.unpipe();
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.resume();
  });
}

/**
 * Apollo's CSRF prevention accepts a multipart request only with a header a browser cannot send
 * cross-site without a preflight (`apollo-require-preflight` or `x-apollo-operation-name`). Checked
 * here, before the files are parsed, with the fix in the message; the answer still waits for the
 * body (see answerAfterBody).
 */
export function requirePreflightHeader(req: Request, res: Response, next: NextFunction): void {
  if (req.is('multipart/form-data') && !req.headers['apollo-require-preflight'] && !req.headers['x-apollo-operation-name']) {
    res.status(400).json({
      errors: [
        {
          message:
            "Multipart uploads need the header 'apollo-require-preflight: true' (or 'x-apollo-operation-name'), " +
            'a protection against cross-site requests.',
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    });
    return;
  }
  next();
}
