/**
 * Who is asking. Without configured keys everyone is an anonymous viewer who sees everything (the
 * service as it was before keys); with keys, the key's name, and whether it is an admin key.
 */
export interface Viewer {
  /** The key's name, recorded as the owner of conversions it creates; null without keys. */
  name: string | null;
  /** Sees every conversion, whoever owns it (admin keys, and everyone when there are no keys). */
  seesAll: boolean;
}

export const ANONYMOUS_VIEWER: Viewer = { name: null, seesAll: true };

/** Whether a viewer may see (and so act on) a conversion with this owner. */
export function mayAccess(viewer: Viewer, owner: string | null): boolean {
  return viewer.seesAll || (owner !== null && owner === viewer.name);
}
