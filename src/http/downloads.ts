import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import type { ConversionService } from '../conversion/conversion-service';

/**
 * GET /downloads/:id — the finished file, named after the upload (`차량.csv` → `차량_주소.xlsx`),
 * with a Content-Disposition that carries Korean names (RFC 5987). Clear statuses otherwise:
 * 404 unknown id, 409 not finished yet, 410 finished but the file is gone.
 */
export function downloadHandler(conversions: ConversionService) {
  return async (req: Request, res: Response) => {
    const conversion = await conversions.get(String(req.params.id));
    if (!conversion) {
      res.status(404).json({ error: `No conversion with id ${req.params.id}.` });
      return;
    }
    if (conversion.status !== 'COMPLETED' || !conversion.outputPath) {
      res.status(409).json({ error: `Conversion ${conversion.id} is ${conversion.status}; the file is ready once it is COMPLETED.` });
      return;
    }
    if (!fs.existsSync(conversion.outputPath)) {
      res.status(410).json({ error: `The output of conversion ${conversion.id} is no longer stored.` });
      return;
    }
    const ext = conversion.options.outputFormat === 'CSV' ? 'csv' : 'xlsx';
    const downloadName = `${path.parse(conversion.fileName).name}_주소.${ext}`;
    res.type(ext === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.attachment(downloadName);
    fs.createReadStream(conversion.outputPath).on('error', () => res.destroy()).pipe(res);
  };
}
