import path from 'node:path';
import type { Request, Response } from 'express';
import type { KeyRing } from '../auth/api-keys';
import { authenticate } from '../auth/authenticate';
import type { DownloadLinks } from '../auth/download-links';
import type { ConversionService } from '../conversion/conversion-service';
import type { FileStore } from '../conversion/file-store';
import { StorageUnavailableError } from '../errors';

/** How long a presigned download URL works (DOWNLOAD_REDIRECT=presigned). */
const PRESIGNED_SECONDS = 300;

/**
 * GET /downloads/:id?expires=…&signature=… — the finished file, streamed from storage (whichever
 * instance wrote it), named after the upload (`차량.csv` → `차량_주소.xlsx`) with a
 * Content-Disposition that carries Korean names (RFC 5987); or, with DOWNLOAD_REDIRECT=presigned
 * and S3 storage, a redirect to a short-lived presigned URL. The signed link (downloadUrl) needs
 * no Authorization header; with API keys, a link without a signature is served only with the key
 * of the conversion's owner (or an admin key). Clear statuses otherwise: 401 unsigned without a
 * key, 403 tampered link, 404 unknown id (or another key's), 409 not finished yet, 410 link
 * expired or the files deleted (EXPIRED), 503 storage unavailable.
 */
export function downloadHandler(conversions: ConversionService, store: FileStore, redirect: 'off' | 'presigned', links: DownloadLinks, keys: KeyRing) {
  return async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const { expires, signature } = req.query;
    if (signature !== undefined || expires !== undefined) {
      const check = links.check(id, expires, signature);
      if (check === 'tampered') {
        res.status(403).json({ error: '내려받기 링크가 올바르지 않습니다(변조됨). 변환 화면에서 새 링크를 받으세요. · This download link is not valid (altered); get a fresh downloadUrl.', code: 'INVALID_LINK' });
        return;
      }
      if (check === 'expired') {
        res.status(410).json({ error: '내려받기 링크가 만료되었습니다. 변환을 다시 조회해 새 링크를 받으세요. · This download link has expired; query the conversion again for a fresh downloadUrl.', code: 'LINK_EXPIRED' });
        return;
      }
    } else {
      // Unsigned: served with the key of the owner or an admin (or to anyone when there are no keys).
      const auth = authenticate(keys, req.headers.authorization);
      if (!auth.ok) {
        res.status(401).json({ error: `${auth.message} 서명된 downloadUrl은 키 없이 열립니다. · The signed downloadUrl opens without a key.`, code: 'UNAUTHENTICATED' });
        return;
      }
      if (!(await conversions.find(id, auth.viewer))) {
        res.status(404).json({ error: `No conversion with id ${id}.`, code: 'NOT_FOUND' });
        return;
      }
    }
    const conversion = await conversions.get(id);
    if (!conversion) {
      res.status(404).json({ error: `No conversion with id ${id}.`, code: 'NOT_FOUND' });
      return;
    }
    if (conversion.status === 'EXPIRED') {
      res.status(410).json({ error: `변환 ${conversion.id}의 파일은 보관 기간이 지나 삭제되었습니다. · The files of conversion ${conversion.id} were deleted (EXPIRED).`, code: 'EXPIRED' });
      return;
    }
    if (conversion.status !== 'COMPLETED' || !conversion.outputKey) {
      res.status(409).json({ error: `Conversion ${conversion.id} is ${conversion.status}; the file is ready once it is COMPLETED.`, code: 'NOT_READY' });
      return;
    }
    const key = conversion.outputKey;
    const ext = conversion.options.outputFormat === 'CSV' ? 'csv' : 'xlsx';
    const downloadName = `${path.parse(conversion.fileName).name}_주소.${ext}`;
    const contentType = ext === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    try {
      const stat = await store.storage.stat(key);
      if (!stat) {
        res.status(410).json({ error: `The output of conversion ${conversion.id} is no longer stored.`, code: 'EXPIRED' });
        return;
      }
      if (redirect === 'presigned' && store.storage.presignedUrl) {
        res.redirect(302, await store.storage.presignedUrl(key, { expiresSeconds: PRESIGNED_SECONDS, fileName: downloadName, contentType }));
        return;
      }
      const body = await store.storage.get(key);
      res.type(contentType);
      res.attachment(downloadName);
      // A signed link is a capability with an expiry: keep it out of shared caches and referrers.
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('Content-Length', String(stat.size));
      body.on('error', () => res.destroy()).pipe(res);
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      res.status(503).json({ error: err.message, code: err.code });
    }
  };
}
