import type http from 'node:http';
import { createRequire } from 'node:module';
import type { NextFunction, Request, Response } from 'express';

/**
 * busboy 1.6's multipart parser emits 'error' for a malformed part header (a control character in
 * a file name is enough) without destroying itself; graphql-upload-minimal 1.6 then destroys it,
 * and the parser emits a second 'error' ("Unexpected end of form") after graphql-upload-minimal's
 * once('error') listener is gone: an unhandled 'error' event, which ended the whole process with
 * every conversion in it. Here a parser that has already reported an error does not report
 * another when it is destroyed (the first one has failed the request). Patched on the prototype
 * of the one busboy graphql-upload-minimal loads (packages stay external in the bundle).
 */
function guardMultipartParser(): void {
  const require = createRequire(import.meta.url);
  const uploadPackage = require.resolve('graphql-upload-minimal');
  const Multipart = createRequire(uploadPackage)('busboy/lib/types/multipart.js') as { prototype: MultipartProto };
  const proto = Multipart.prototype;
  if (proto[GUARDED]) return;
  proto[GUARDED] = true;
  const emit = proto.emit;
  proto.emit = function (this: MultipartProto, event: string | symbol, ...args: unknown[]) {
    if (event === 'error') this[REPORTED] = true;
    return emit.call(this, event, ...args);
  };
  const destroy = proto._destroy;
  proto._destroy = function (this: MultipartProto, err: Error | null, cb: (e?: Error | null) => void) {
    return destroy.call(this, err, (e?: Error | null) => cb(err ?? (this[REPORTED] ? null : e)));
  };
}
const GUARDED = Symbol('c2r.guarded');
const REPORTED = Symbol('c2r.reported');
interface MultipartProto {
  [GUARDED]?: boolean;
  [REPORTED]?: boolean;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  _destroy(err: Error | null, cb: (e?: Error | null) => void): void;
}
guardMultipartParser();

/**
 * What a client is told of a multipart body the upload parser could not read: Korean first; the
 * parser's own text only where it is graphql-upload-minimal's description of the protocol (an
 * HttpError with a status), never busboy's.
 */
export function malformedUploadMessage(err: Error & { status?: number }): string {
  const ko = '업로드 요청을 읽을 수 없습니다(multipart/form-data 형식 오류). 파일 이름에 제어 문자가 있으면 이름을 바꿔 다시 올려 주세요.';
  return err.status ? `${ko} · ${err.message}` : `${ko} · The upload request (multipart/form-data) could not be read.`;
}

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

/** How long the rest of a refused body may pause before the answer goes out without it. */
const DISCARD_IDLE_MS = 2000;

/**
 * Reads what is left of the request and throws it away (nothing needs it once the answer is
 * known: the GraphQL operation has finished). False when it was more than `bound` bytes.
 */
function discardBody(req: http.IncomingMessage, bound: number): Promise<boolean> {
  return new Promise((resolve) => {
    let bytes = 0;
    // A client that stops sending before its body ends (and waits for an answer) gets it after a
    // short silence instead of when the server's request timeout closes the connection.
    let idle = setTimeout(() => stop(), DISCARD_IDLE_MS);
    const stop = () => {
      req.pause();
      done(false);
    };
    const done = (read: boolean) => {
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(read);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > bound) return stop();
      clearTimeout(idle);
      idle = setTimeout(stop, DISCARD_IDLE_MS);
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
