import path from 'node:path';
import type { Request, Response } from 'express';
import type { ConversionService } from '../conversion/conversion-service';
import type { FileStore } from '../conversion/file-store';
import { StorageUnavailableError } from '../errors';

/** How long a presigned download URL works (DOWNLOAD_REDIRECT=presigned). */
const PRESIGNED_SECONDS = 300;

/**
 * GET /downloads/:id — the finished file, streamed from storage (whichever instance wrote it),
 * named after the upload (`차량.csv` → `차량_주소.xlsx`) with a Content-Disposition that carries
 * Korean names (RFC 5987); or, with DOWNLOAD_REDIRECT=presigned and S3 storage, a redirect to a
 * short-lived presigned URL so the bytes do not pass through the service. Clear statuses
 * otherwise: 404 unknown id, 409 not finished yet, 410 finished but the file is gone, 503
 * storage unavailable.
 */
export function downloadHandler(conversions: ConversionService, store: FileStore, redirect: 'off' | 'presigned') {
  return async (req: Request, res: Response) => {
    const conversion = await conversions.get(String(req.params.id));
    if (!conversion) {
      res.status(404).json({ error: `No conversion with id ${req.params.id}.` });
      return;
    }
    if (conversion.status !== 'COMPLETED' || !conversion.outputKey) {
      res.status(409).json({ error: `Conversion ${conversion.id} is ${conversion.status}; the file is ready once it is COMPLETED.` });
      return;
    }
    const key = conversion.outputKey;
    const ext = conversion.options.outputFormat === 'CSV' ? 'csv' : 'xlsx';
    const downloadName = `${path.parse(conversion.fileName).name}_주소.${ext}`;
    const contentType = ext === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    try {
      const stat = await store.storage.stat(key);
      if (!stat) {
        res.status(410).json({ error: `The output of conversion ${conversion.id} is no longer stored.` });
        return;
      }
      if (redirect === 'presigned' && store.storage.presignedUrl) {
        res.redirect(302, await store.storage.presignedUrl(key, { expiresSeconds: PRESIGNED_SECONDS, fileName: downloadName, contentType }));
        return;
      }
      const body = await store.storage.get(key);
      res.type(contentType);
      res.attachment(downloadName);
      res.setHeader('Content-Length', String(stat.size));
      body.on('error', () => res.destroy()).pipe(res);
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      res.status(503).json({ error: err.message, code: err.code });
    }
  };
}
