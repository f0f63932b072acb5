import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';

export type LinkCheck = 'ok' | 'tampered' | 'expired';

/**
 * Signed, expiring download links: `/downloads/<id>?expires=<unix seconds>&signature=<HMAC>`.
 * The HMAC covers the id and the expiry, so a link can be handed to a browser (no Authorization
 * header) yet opens only the one file, and only until it expires. Each query hands out a fresh one.
 */
export class DownloadLinks {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  url(baseUrl: string, id: string, nowMs = Date.now()): string {
    const expires = Math.floor(nowMs / 1000) + this.ttlSeconds;
    return `${baseUrl}/downloads/${id}?expires=${expires}&signature=${this.sign(id, expires)}`;
  }

  check(id: string, expires: unknown, signature: unknown, nowMs = Date.now()): LinkCheck {
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof signature !== 'string') return 'tampered';
    const expected = Buffer.from(this.sign(id, Number(expires)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'tampered';
    return Number(expires) * 1000 < nowMs ? 'expired' : 'ok';
  }

  private sign(id: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${id}\n${expires}`).digest('base64url');
  }
}

/**
 * DOWNLOAD_SECRET when set; otherwise one generated once and stored in the database, so every
 * instance sharing the database signs and accepts the same links, and links survive a restart.
 */
export async function downloadSecret(dataSource: DataSource, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await dataSource.query(`INSERT INTO service_settings (name, value) VALUES ('download_secret', $1) ON CONFLICT (name) DO NOTHING`, [
    randomBytes(32).toString('base64url'),
  ]);
  const [row] = await dataSource.query(`SELECT value FROM service_settings WHERE name = 'download_secret'`);
  return row.value as string;
}
