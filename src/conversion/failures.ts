import { StorageObjectMissingError, StorageUnavailableError, UserInputError } from '../errors';

/**
 * Errors a conversion can meet that are not the file's fault, sorted by what the worker does:
 * a transient database error is waited out and the job resumed from its last committed chunk;
 * a full disk fails the job with DISK_FULL (and frees the slot); anything else unknown is INTERNAL.
 */

/** PostgreSQL SQLSTATEs that say "the connection or server went away, try again". */
const TRANSIENT_SQLSTATE = /^(08...|57P0[123]|53300|40001|40P01)$/;
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN', 'EAI_AGAIN']);
const TRANSIENT_MESSAGE = /Connection terminated|terminating connection|Client has encountered a connection error|connection timeout|timeout exceeded when trying to connect|Connection is closed|the database system is (starting up|shutting down)|server closed the connection/i;

export function isTransientDatabaseError(err: unknown): boolean {
  for (const e of causes(err)) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_ERRNO.has(code)) return true;
    if (typeof e.message === 'string' && TRANSIENT_MESSAGE.test(e.message)) return true;
  }
  return false;
}

export function isDiskFull(err: unknown): boolean {
  // ENOSPC from the file system; 53100 is PostgreSQL's disk_full.
  return causes(err).some((e) => e.code === 'ENOSPC' || e.code === 'EDQUOT' || e.code === '53100');
}

/** The message and code a failed conversion is stored with. */
export function failureOf(err: unknown): { code: string; message: string } {
  if (err instanceof UserInputError) return { code: err.code, message: err.message };
  // Storage errors name the storage (s3://bucket/prefix) and the cause, never a local path.
  if (err instanceof StorageUnavailableError || err instanceof StorageObjectMissingError) return { code: err.code, message: err.message };
  if (isDiskFull(err)) return { code: 'DISK_FULL', message: "서버의 디스크가 가득 차 변환이 멈췄습니다. 잠시 후 다시 시도해 주세요. · The server's disk is full; the conversion stopped. Try again later." };
  // The cause is logged by the worker; its text (library messages, paths) is not for users.
  return {
    code: 'INTERNAL',
    message: '서버 내부 문제로 변환이 멈췄습니다. 다시 시도해 보고, 계속되면 관리자에게 알려 주세요. · The conversion stopped on a problem inside the server; try again, and tell the administrator if it persists.',
  };
}

/** The error, the driver error TypeORM wraps and any `cause` chain. */
function causes(err: unknown): { code?: unknown; message?: unknown }[] {
  const out: { code?: unknown; message?: unknown }[] = [];
  let e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    out.push(e);
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return out;
}
