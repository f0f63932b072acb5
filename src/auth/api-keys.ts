import { createHash, timingSafeEqual } from 'node:crypto';

/** One configured API key: its name becomes the owner of the conversions it creates. */
export interface ApiKey {
  name: string;
  key: string;
  /** An admin key sees and manages every conversion. */
  admin: boolean;
}

/** Shortest key accepted: a guessable key would undo the point of having keys. */
export const MIN_KEY_LENGTH = 16;

/**
 * Parses API_KEYS / API_KEYS_FILE text: `name:key` or `name:key:admin` entries separated by commas
 * or newlines; blank lines and lines starting with `#` are skipped. Throws with a message naming
 * the bad entry (never the key itself).
 */
export function parseApiKeys(text: string | undefined): ApiKey[] {
  if (!text) return [];
  const keys: ApiKey[] = [];
  const entries = text
    .split(/[\n,]/)
    .map((e) => e.trim())
    .filter((e) => e && !e.startsWith('#'));
  for (const [i, entry] of entries.entries()) {
    const parts = entry.split(':');
    const [name, key, flag] = parts;
    const where = `entry ${i + 1}${name ? ` (${name})` : ''}`;
    if (parts.length < 2 || parts.length > 3 || !name || !key) throw new Error(`API_KEYS ${where}: expected name:key or name:key:admin`);
    if (!/^[\w.@-]{1,64}$/.test(name)) throw new Error(`API_KEYS ${where}: a name is 1-64 letters, digits, '_', '.', '@' or '-'`);
    if (key.length < MIN_KEY_LENGTH) throw new Error(`API_KEYS ${where}: the key must be at least ${MIN_KEY_LENGTH} characters`);
    if (flag !== undefined && flag !== 'admin') throw new Error(`API_KEYS ${where}: the third part can only be 'admin'`);
    if (keys.some((k) => k.name === name)) throw new Error(`API_KEYS ${where}: the name is used twice`);
    if (keys.some((k) => k.key === key)) throw new Error(`API_KEYS ${where}: the key is used twice`);
    keys.push({ name, key, admin: flag === 'admin' });
  }
  return keys;
}

/** Looks a presented key up by its hash, so the comparison takes the same time whatever it holds. */
export class KeyRing {
  private readonly byHash = new Map<string, ApiKey>();

  constructor(readonly keys: readonly ApiKey[]) {
    for (const k of keys) this.byHash.set(digest(k.key), k);
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  find(presented: string): ApiKey | null {
    const hash = digest(presented);
    const found = this.byHash.get(hash);
    return found && timingSafeEqual(Buffer.from(digest(found.key), 'hex'), Buffer.from(hash, 'hex')) ? found : null;
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
