import type { KeyRing } from './api-keys';
import { ANONYMOUS_VIEWER, type Viewer } from './viewer';

export type Authentication = { ok: true; viewer: Viewer } | { ok: false; message: string };

export const MISSING_KEY_MESSAGE =
  'API 키가 필요합니다. 헤더 "Authorization: Bearer <키>"를 보내세요. · An API key is required: send "Authorization: Bearer <key>".';
export const WRONG_KEY_MESSAGE = 'API 키가 올바르지 않습니다. · The API key is not valid.';

/**
 * Checks an `Authorization` value (HTTP header, or `authorization` in the WebSocket's
 * connectionParams). Without configured keys every request is the anonymous viewer; with keys a
 * request needs `Bearer <key>` (a bare key is accepted too, for connectionParams written by hand).
 */
export function authenticate(keys: KeyRing, authorization: unknown): Authentication {
  if (!keys.enabled) return { ok: true, viewer: ANONYMOUS_VIEWER };
  if (typeof authorization !== 'string' || !authorization.trim()) return { ok: false, message: MISSING_KEY_MESSAGE };
  const presented = authorization.trim().replace(/^Bearer\s+/i, '');
  const key = keys.find(presented);
  if (!key) return { ok: false, message: WRONG_KEY_MESSAGE };
  return { ok: true, viewer: { name: key.name, seesAll: key.admin } };
}

/** connectionParams may spell it `authorization` or `Authorization`. */
export function authorizationFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): unknown {
  return params?.authorization ?? params?.Authorization;
}
